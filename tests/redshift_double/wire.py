"""PostgreSQL wire protocol (v3) framing: just enough to relay, inspect and answer messages.

Every message after start-up is ``type byte + int32 length (including itself) + payload``. The
builders here make the backend messages the double answers with itself; the parsers read the
frontend messages it needs to look into (Query, Parse, Bind, Describe, Execute, Close).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Mapping

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
PROTOCOL_3 = 196608


class Disconnected(Exception):
    """The peer closed the connection."""


class Channel:
    """A socket with a read buffer and a write buffer (flushed before every blocking read)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._rbuf = bytearray()
        self._wbuf = bytearray()
        self.partner: Channel | None = None  # flushed too before this one blocks on a read

    def _fill(self, n: int) -> None:
        while len(self._rbuf) < n:
            if self.partner is not None:
                self.partner.flush()
            self.flush()
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Disconnected()
            self._rbuf += chunk

    def read_exact(self, n: int) -> bytes:
        self._fill(n)
        out = bytes(self._rbuf[:n])
        del self._rbuf[:n]
        return out

    def read_startup(self) -> bytes:
        """A start-up packet (no type byte): its whole body after the length."""
        (length,) = struct.unpack("!i", self.read_exact(4))
        return self.read_exact(length - 4)

    def read_message(self) -> tuple[bytes, bytes]:
        head = self.read_exact(5)
        kind = head[:1]
        (length,) = struct.unpack("!i", head[1:])
        return kind, self.read_exact(length - 4)

    def write(self, data: bytes) -> None:
        self._wbuf += data
        if len(self._wbuf) > 1 << 16:
            self.flush()

    def flush(self) -> None:
        if self._wbuf:
            self.sock.sendall(self._wbuf)
            self._wbuf.clear()

    def close(self) -> None:
        try:
            self.flush()
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def cstr(text: str) -> bytes:
    return text.encode() + b"\x00"


def read_cstr(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\x00", pos)
    return data[pos:end].decode(errors="replace"), end + 1


# --- start-up ---------------------------------------------------------------------------


def parse_startup_params(body: bytes) -> tuple[int, dict[str, str]]:
    (code,) = struct.unpack("!i", body[:4])
    params: dict[str, str] = {}
    pos = 4
    while pos < len(body) and body[pos] != 0:
        key, pos = read_cstr(body, pos)
        value, pos = read_cstr(body, pos)
        params[key] = value
    return code, params


def startup_packet(params: Mapping[str, str]) -> bytes:
    body = struct.pack("!i", PROTOCOL_3)
    for key, value in params.items():
        body += cstr(key) + cstr(value)
    body += b"\x00"
    return struct.pack("!i", len(body) + 4) + body


# --- backend messages the double sends itself ------------------------------------------------


def error_fields(payload: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in payload.split(b"\x00"):
        if part:
            fields[part[:1].decode()] = part[1:].decode(errors="replace")
    return fields


def _fields(fields: Mapping[str, str]) -> bytes:
    return b"".join(key.encode() + cstr(value) for key, value in fields.items()) + b"\x00"


def error_response(code: str, text: str, detail: str | None = None) -> bytes:
    fields = {"S": "ERROR", "V": "ERROR", "C": code, "M": text}
    if detail:
        fields["D"] = detail
    return message(b"E", _fields(fields))


def notice_response(text: str, severity: str = "INFO") -> bytes:
    return message(b"N", _fields({"S": severity, "V": severity, "C": "00000", "M": text}))


def command_complete(tag: str) -> bytes:
    return message(b"C", cstr(tag))


def ready_for_query(status: bytes) -> bytes:
    return message(b"Z", status)


def parameter_status(key: str, value: str) -> bytes:
    return message(b"S", cstr(key) + cstr(value))


PARSE_COMPLETE = message(b"1")
BIND_COMPLETE = message(b"2")
CLOSE_COMPLETE = message(b"3")
NO_DATA = message(b"n")
NO_PARAMETERS = message(b"t", struct.pack("!h", 0))


# --- frontend messages the double looks into -------------------------------------------------


def parse_query(payload: bytes) -> str:
    return payload.rstrip(b"\x00").decode(errors="surrogateescape")


def parse_parse(payload: bytes) -> tuple[str, str]:
    """(statement name, query text) of a Parse message."""
    name, pos = read_cstr(payload, 0)
    end = payload.index(b"\x00", pos)
    return name, payload[pos:end].decode(errors="surrogateescape")


def parse_bind(payload: bytes) -> tuple[str, str]:
    """(portal, statement) of a Bind message."""
    portal, pos = read_cstr(payload, 0)
    statement, _ = read_cstr(payload, pos)
    return portal, statement


def parse_target(payload: bytes) -> tuple[str, str]:
    """('S' or 'P', name) of a Describe or Close message."""
    name, _ = read_cstr(payload, 1)
    return payload[:1].decode(), name


def parse_execute(payload: bytes) -> str:
    portal, _ = read_cstr(payload, 0)
    return portal


def parse_data_row(payload: bytes) -> list[str | None]:
    (count,) = struct.unpack("!h", payload[:2])
    pos = 2
    out: list[str | None] = []
    for _ in range(count):
        (length,) = struct.unpack("!i", payload[pos : pos + 4])
        pos += 4
        if length < 0:
            out.append(None)
        else:
            out.append(payload[pos : pos + length].decode())
            pos += length
    return out


def parse_command_tag(payload: bytes) -> str:
    return payload.rstrip(b"\x00").decode()

"""The wire-protocol proxy: a Redshift endpoint in front of a real PostgreSQL server.

One thread per client connection relays messages between the client and its own PostgreSQL
backend connection, in order, and looks at each statement:

* start-up: the Redshift-only parameters the driver sends (``client_protocol_version``,
  ``driver_version``, ``os_version``, ...) are removed, since PostgreSQL refuses unknown ones;
  authentication (SCRAM, md5, ...) passes through untouched; ``server_version`` is reported as
  Redshift's ``8.0.2``. No ``server_protocol_version`` is announced, so the driver uses the base
  (text) protocol, which PostgreSQL speaks.
* the statements the double runs itself (:mod:`.sql`) are answered by the proxy, in the simple
  and the extended query protocol alike (Parse / Bind / Describe / Execute / Close are answered
  in sequence with PostgreSQL's own replies); the work they do runs as ordinary statements on the
  client's backend connection, hence inside the client's transaction;
* everything else is relayed byte for byte.

The proxy keeps track of how many replies PostgreSQL still owes for relayed extended-protocol
messages, so that a reply it makes itself is never sent before those (it asks PostgreSQL to
flush first), and after an error it drops messages until Sync, as PostgreSQL does.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from .catalog import SCHEMA, SystemTables
from .loader import BackendError, literal, run_copy
from .s3source import LoadFailure, S3Settings
from .sql import CopyStatement, CopySyntaxError, TruncateStatement, classify
from .wire import (
    BIND_COMPLETE,
    CANCEL_REQUEST,
    CLOSE_COMPLETE,
    GSSENC_REQUEST,
    NO_DATA,
    NO_PARAMETERS,
    PARSE_COMPLETE,
    SSL_REQUEST,
    Channel,
    Disconnected,
    command_complete,
    cstr,
    error_fields,
    error_response,
    message,
    notice_response,
    parse_bind,
    parse_command_tag,
    parse_data_row,
    parse_execute,
    parse_parse,
    parse_query,
    parse_startup_params,
    parse_target,
    read_cstr,
    ready_for_query,
    startup_packet,
)

#: start-up parameters PostgreSQL understands; anything else the driver sends is Redshift's own
POSTGRES_STARTUP_PARAMS = frozenset(
    {
        "user",
        "database",
        "application_name",
        "options",
        "client_encoding",
        "DateStyle",
        "TimeZone",
        "extra_float_digits",
        "replication",
    }
)
REDSHIFT_SERVER_VERSION = "8.0.2"
#: backend messages that complete one extended-protocol message
_COMPLETIONS = frozenset({b"1", b"2", b"3", b"n", b"T", b"C", b"I", b"s"})


@dataclass
class BackendAddress:
    host: str
    port: int


@dataclass
class StartupRecord:
    """What one client sent at start-up and what the proxy removed (for the double's tests)."""

    params: dict[str, str]
    removed: dict[str, str] = field(default_factory=dict)


class ClientSession:
    """One client connection and its PostgreSQL backend connection."""

    def __init__(
        self,
        client: socket.socket,
        backend: BackendAddress,
        system: SystemTables,
        s3: S3Settings,
        startups: list[StartupRecord],
    ) -> None:
        self.client = Channel(client)
        self.backend = backend
        self.server: Channel | None = None
        self.system = system
        self.s3 = s3
        self.startups = startups
        self.backend_pid = 0
        self.txn_status = b"I"
        self.outstanding = 0
        self.batch_failed = False
        self.statements: dict[str, CopyStatement | TruncateStatement] = {}
        self.portals: dict[str, CopyStatement | TruncateStatement] = {}

    # --- the loader's view of the session (loader.Session) -----------------------------------

    @property
    def _server(self) -> Channel:
        assert self.server is not None
        return self.server

    def in_transaction_block(self) -> bool:
        return self.txn_status == b"T"

    def query(self, sql: str) -> list[list[str | None]]:
        """Run ``sql`` on the backend connection (simple protocol); the client sees nothing."""
        server = self._server
        server.write(message(b"Q", cstr(sql)))
        rows: list[list[str | None]] = []
        error: dict[str, str] | None = None
        while True:
            kind, payload = server.read_message()
            if kind == b"D":
                rows.append(parse_data_row(payload))
            elif kind == b"E":
                error = error_fields(payload)
            elif kind == b"G":
                server.write(message(b"f", cstr("unexpected COPY")))
            elif kind == b"Z":
                self.txn_status = payload
                break
        if error is not None:
            raise BackendError(error)
        return rows

    def copy_in(self, sql: str, rows: Sequence[str]) -> int:
        """``COPY ... FROM STDIN`` with ``rows`` (PostgreSQL text format) on the backend."""
        server = self._server
        server.write(message(b"Q", cstr(sql)))
        loaded = 0
        error: dict[str, str] | None = None
        while True:
            kind, payload = server.read_message()
            if kind == b"G":
                chunk = bytearray()
                for row in rows:
                    chunk += (row + "\n").encode("utf-8", errors="replace")
                    if len(chunk) > 1 << 16:
                        server.write(message(b"d", bytes(chunk)))
                        chunk.clear()
                if chunk:
                    server.write(message(b"d", bytes(chunk)))
                server.write(message(b"c"))
            elif kind == b"C":
                loaded = int(parse_command_tag(payload).split()[-1])
            elif kind == b"E":
                error = error_fields(payload)
            elif kind == b"Z":
                self.txn_status = payload
                break
        if error is not None:
            raise BackendError(error)
        return loaded

    # --- connection life ---------------------------------------------------------------------

    def serve(self) -> None:
        try:
            if self._startup():
                self._loop()
        except (Disconnected, OSError):
            pass
        finally:
            self.close()

    def close(self) -> None:
        self.client.close()
        if self.server is not None:
            self.server.close()

    def _connect_backend(self) -> Channel:
        sock = socket.create_connection((self.backend.host, self.backend.port), timeout=30)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Channel(sock)

    def _startup(self) -> bool:
        body = self.client.read_startup()
        (code,) = struct.unpack("!i", body[:4])
        while code in (SSL_REQUEST, GSSENC_REQUEST):
            self.client.sock.sendall(b"N")  # no TLS on the loopback double
            body = self.client.read_startup()
            (code,) = struct.unpack("!i", body[:4])
        if code == CANCEL_REQUEST:
            server = self._connect_backend()
            server.sock.sendall(struct.pack("!i", len(body) + 4) + body)
            server.close()
            return False
        _, params = parse_startup_params(body)
        kept = {k: v for k, v in params.items() if k in POSTGRES_STARTUP_PARAMS}
        removed = {k: v for k, v in params.items() if k not in POSTGRES_STARTUP_PARAMS}
        self.startups.append(StartupRecord(params=dict(params), removed=removed))
        self.server = self._connect_backend()
        self.server.partner = self.client
        self.client.partner = self.server
        self.server.sock.sendall(startup_packet(kept))
        while True:
            kind, payload = self.server.read_message()
            if kind == b"S":
                payload = self._rewrite_status(payload)
            elif kind == b"K":
                (self.backend_pid,) = struct.unpack("!i", payload[:4])
            self.client.write(message(kind, payload))
            if kind == b"R":
                (auth,) = struct.unpack("!i", payload[:4])
                if auth in (3, 5, 10, 11):  # cleartext, md5, SASL, SASL continue: client answers
                    answer_kind, answer = self.client.read_message()
                    self.server.write(message(answer_kind, answer))
            elif kind == b"E":
                self.client.flush()
                return False
            elif kind == b"Z":
                self.txn_status = payload
                break
        self.client.flush()
        self.system.forget_session(self.backend_pid)
        return True

    @staticmethod
    def _rewrite_status(payload: bytes) -> bytes:
        key, _ = read_cstr(payload, 0)
        if key == "server_version":
            return cstr(key) + cstr(REDSHIFT_SERVER_VERSION)
        return payload

    # --- the message loop --------------------------------------------------------------------

    def _loop(self) -> None:
        server = self._server
        while True:
            kind, payload = self.client.read_message()
            if kind == b"X":
                server.write(message(kind, payload))
                server.flush()
                return
            if kind == b"Q":
                self._simple_query(payload)
            elif kind == b"S":
                server.write(message(kind, payload))
                self._relay(until_ready=True)
                self.outstanding = 0
                self.batch_failed = False
                self._in_extended_batch = False
            elif kind == b"H":
                server.write(message(kind, payload))
                self._relay(until_ready=False)
            elif kind in (b"P", b"B", b"D", b"E", b"C"):
                if not self.batch_failed:
                    self._extended(kind, payload)
            else:
                server.write(message(kind, payload))
                if kind == b"F":
                    self._relay(until_ready=True)

    def _relay(self, *, until_ready: bool) -> None:
        """Pass PostgreSQL's replies on until ReadyForQuery (or until none is owed)."""
        server = self._server
        while True:
            if not until_ready and self.outstanding <= 0:
                return
            kind, payload = server.read_message()
            if kind == b"S":
                payload = self._rewrite_status(payload)
            self.client.write(message(kind, payload))
            if kind in _COMPLETIONS:
                if self.outstanding > 0:
                    self.outstanding -= 1
            elif kind == b"E":
                self.outstanding = 0
                if self._in_extended_batch:
                    self.batch_failed = True  # PostgreSQL now skips messages until Sync
            elif kind == b"G":
                self._pump_copy_in()
            elif kind == b"Z":
                self.txn_status = payload
                if until_ready:
                    return

    _in_extended_batch = False

    def _pump_copy_in(self) -> None:
        """The client's own COPY FROM STDIN: its data goes to PostgreSQL as it is."""
        server = self._server
        while True:
            kind, payload = self.client.read_message()
            server.write(message(kind, payload))
            if kind in (b"c", b"f"):
                return

    def _drain(self) -> None:
        """Before the proxy answers a message itself: every reply PostgreSQL owes comes first."""
        if self.outstanding > 0:
            self._server.write(message(b"H"))
            self._relay(until_ready=False)

    def _forward(self, kind: bytes, payload: bytes) -> None:
        self._server.write(message(kind, payload))
        self.outstanding += 1

    def _answer(self, data: bytes) -> None:
        self._drain()
        if self.batch_failed:
            return
        self.client.write(data)

    def _fail(self, code: str, text: str, detail: str | None = None) -> bytes:
        """An error reply for a statement the proxy runs; inside a transaction block it also
        aborts the block, as the failed statement would on Redshift."""
        if self.in_transaction_block():
            try:
                self.query(
                    f"SELECT {SCHEMA}.raise_error({literal(code)}, {literal(text)}, "
                    f"{literal(detail or '')})"
                )
            except BackendError:
                pass
        return error_response(code, text, detail)

    def _extended(self, kind: bytes, payload: bytes) -> None:
        self._in_extended_batch = True
        if kind == b"P":
            name, sql = parse_parse(payload)
            try:
                statement = classify(sql)
            except CopySyntaxError as exc:
                self._drain()
                if not self.batch_failed:
                    self.client.write(self._fail(exc.code, str(exc)))
                    self.batch_failed = True
                return
            if statement is None:
                self.statements.pop(name, None)
                self._forward(kind, payload)
            else:
                self.statements[name] = statement
                self._answer(PARSE_COMPLETE)
        elif kind == b"B":
            portal, name = parse_bind(payload)
            if name in self.statements:
                self.portals[portal] = self.statements[name]
                self._answer(BIND_COMPLETE)
            else:
                self.portals.pop(portal, None)
                self._forward(kind, payload)
        elif kind == b"D":
            which, name = parse_target(payload)
            if which == "S" and name in self.statements:
                self._answer(NO_PARAMETERS + NO_DATA)
            elif which == "P" and name in self.portals:
                self._answer(NO_DATA)
            else:
                self._forward(kind, payload)
        elif kind == b"E":
            portal = parse_execute(payload)
            if portal in self.portals:
                self._drain()
                if not self.batch_failed:
                    replies, failed = self._run(self.portals[portal])
                    self.client.write(replies)
                    self.batch_failed = failed
            else:
                self._forward(kind, payload)
        elif kind == b"C":
            which, name = parse_target(payload)
            table = self.statements if which == "S" else self.portals
            if name in table:
                del table[name]
                self._answer(CLOSE_COMPLETE)
            else:
                self._forward(kind, payload)

    def _simple_query(self, payload: bytes) -> None:
        self._in_extended_batch = False
        self.statements.pop("", None)
        self.portals.pop("", None)
        try:
            statement = classify(parse_query(payload))
        except CopySyntaxError as exc:
            self.client.write(self._fail(exc.code, str(exc)))
            self.client.write(ready_for_query(self.txn_status))
            return
        if statement is None:
            self._server.write(message(b"Q", payload))
            self._relay(until_ready=True)
            return
        replies, _ = self._run(statement)
        self.client.write(replies)
        self.client.write(ready_for_query(self.txn_status))

    def _run(self, statement: CopyStatement | TruncateStatement) -> tuple[bytes, bool]:
        """Carry out a statement the proxy answers: (its replies, whether it failed)."""
        if self.txn_status == b"E":
            return (
                error_response(
                    "25P02",
                    "current transaction is aborted, commands ignored until end of transaction block",
                ),
                True,
            )
        try:
            if isinstance(statement, TruncateStatement):
                return self._truncate(statement), False
            result = run_copy(self, statement)
        except LoadFailure as failure:
            return self._fail(failure.code, failure.message, failure.detail), True
        except BackendError as exc:
            return message(b"E", _encode_fields(exc.fields)), True
        notices = b"".join(notice_response(text) for text in result.notices)
        return notices + command_complete(result.tag), False

    def _truncate(self, statement: TruncateStatement) -> bytes:
        """Redshift commits the open transaction at TRUNCATE (and the TRUNCATE with it)."""
        self.query(f"TRUNCATE {statement.table}")
        if self.in_transaction_block():
            self.query("COMMIT")
        return command_complete("TRUNCATE TABLE")


def _encode_fields(fields: dict[str, str]) -> bytes:
    return b"".join(k.encode() + cstr(v) for k, v in fields.items()) + b"\x00"


class ProxyServer:
    """Accepts client connections on a loopback port, one thread (ClientSession) each."""

    def __init__(
        self, backend: BackendAddress, system: SystemTables, s3: S3Settings, host: str
    ) -> None:
        self.backend = backend
        self.system = system
        self.s3 = s3
        self.startups: list[StartupRecord] = []
        self._sessions: list[ClientSession] = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self.host = host
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, name="redshift-double", daemon=True)
        self._stopped = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = ClientSession(client, self.backend, self.system, self.s3, self.startups)
            with self._lock:
                self._sessions.append(session)
            threading.Thread(
                target=session.serve, name="redshift-double-session", daemon=True
            ).start()

    def stop(self) -> None:
        self._stopped.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._thread.join(timeout=5)

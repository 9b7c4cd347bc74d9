"""Recognise the statements the double runs itself, and parse Redshift's COPY from S3.

Everything else is PostgreSQL's business. A statement is the double's when it is:

* ``COPY <table> [(<columns>)] FROM 's3://...' <options>`` (Redshift's COPY; PostgreSQL's own
  ``COPY ... FROM STDIN`` and ``COPY ... TO`` pass through), or
* ``TRUNCATE [TABLE] <table>`` (Redshift commits the open transaction at TRUNCATE).

A COPY that uses an option the double does not implement is refused with a message naming it, so
a test never passes on a silently ignored option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<ident>"(?:[^"]|"")*")
  | (?P<number>\d+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<punct>[(),.;=*])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class CopySyntaxError(Exception):
    """The COPY cannot be parsed (or uses an option the double does not implement)."""

    def __init__(self, message: str, code: str = "42601") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text

    @property
    def value(self) -> str:
        """A string literal's value, or an identifier's name (quoted: as is; plain: lower case)."""
        if self.kind == "string":
            return self.text[1:-1].replace("''", "'")
        if self.kind == "ident":
            return self.text[1:-1].replace('""', '"')
        return self.text.lower()


def tokenize(sql: str) -> list[Token]:
    out = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup or "other"
        if kind != "ws":
            out.append(Token(kind, match.group()))
    return out


@dataclass
class CopyStatement:
    """A Redshift COPY from S3, with the options the double implements."""

    table: str  # as written: a (qualified) name PostgreSQL's to_regclass understands
    table_display: str  # the bare table name, as Redshift's messages show it
    columns: list[str] | None
    source: str
    iam_role: str | None = None
    credentials: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    region: str | None = None
    manifest: bool = False
    format: str = "text"  # csv, json, avro
    format_arg: str = "auto"  # 'auto' / 'auto ignorecase' for json and avro
    delimiter: str | None = None
    quote: str = '"'
    ignore_header: int = 0
    compression: str | None = None  # gzip, bzip2
    timeformat: str | None = None
    dateformat: str | None = None
    empty_as_null: bool = False
    blanks_as_null: bool = False
    accept_inv_chars: str | None = None  # the replacement character when given
    max_error: int = 0
    truncate_columns: bool = False
    null_as: str | None = None
    ignore_blank_lines: bool = False
    trim_blanks: bool = False
    round_dec: bool = False
    statupdate: str | None = None
    compupdate: str | None = None
    seen: list[str] = field(default_factory=list)


@dataclass
class TruncateStatement:
    table: str


#: Redshift COPY options that exist but that the double does not implement
NOT_IMPLEMENTED = {
    "ESCAPE",
    "REMOVEQUOTES",
    "FIXEDWIDTH",
    "FILLRECORD",
    "PARQUET",
    "ORC",
    "SHAPEFILE",
    "LZOP",
    "ZSTD",
    "ENCRYPTED",
    "MASTER_SYMMETRIC_KEY",
    "SSH",
    "READRATIO",
    "EXPLICIT_IDS",
    "ACCEPTANYDATE",
    "ENCODING",
    "NOLOAD",
    "SERIALIZETOJSON",
    "JSONPATHS",
}


def classify(sql: str) -> CopyStatement | TruncateStatement | None:
    """The statement when the double runs it itself, else None (PostgreSQL runs it).

    Raises CopySyntaxError for a COPY from S3 that cannot be run.
    """
    tokens = [t for t in tokenize(sql)]
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    if not tokens or tokens[0].kind != "word":
        return None
    head = tokens[0].upper
    if head == "TRUNCATE":
        return _truncate(tokens)
    if head != "COPY":
        return None
    pos, table_tokens = _qualified_name(tokens, 1)
    columns = None
    if pos < len(tokens) and tokens[pos].text == "(":
        columns = []
        pos += 1
        while pos < len(tokens) and tokens[pos].text != ")":
            if tokens[pos].kind in ("word", "ident"):
                columns.append(tokens[pos].value)
            elif tokens[pos].text != ",":
                return None
            pos += 1
        pos += 1
    if pos + 1 >= len(tokens) or tokens[pos].upper != "FROM" or tokens[pos + 1].kind != "string":
        return None
    source = tokens[pos + 1].value
    if not source.lower().startswith("s3://"):
        return None
    if any(t.text == ";" for t in tokens):
        raise CopySyntaxError(
            "redshift double: send a COPY from S3 as a statement of its own", "0A000"
        )
    statement = CopyStatement(
        table="".join(t.text for t in table_tokens),
        table_display=table_tokens[-1].value,
        columns=columns,
        source=source,
    )
    _options(statement, tokens[pos + 2 :])
    return statement


def _truncate(tokens: list[Token]) -> TruncateStatement | None:
    pos = 1
    if pos < len(tokens) and tokens[pos].upper == "TABLE":
        pos += 1
    end, name = _qualified_name(tokens, pos)
    if not name or end != len(tokens):
        return None  # several tables, CASCADE, ...: PostgreSQL's
    return TruncateStatement("".join(t.text for t in name))


def _qualified_name(tokens: list[Token], pos: int) -> tuple[int, list[Token]]:
    name: list[Token] = []
    while pos < len(tokens) and tokens[pos].kind in ("word", "ident"):
        name.append(tokens[pos])
        pos += 1
        if pos < len(tokens) and tokens[pos].text == ".":
            name.append(tokens[pos])
            pos += 1
        else:
            break
    return pos, name


class _Cursor:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise CopySyntaxError("syntax error at end of input")
        self.pos += 1
        return token

    def accept(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "word" and token.upper in words:
            self.pos += 1
            return token.upper
        return None

    def string(self, what: str) -> str:
        self.accept("AS")
        token = self.next()
        if token.kind != "string":
            raise CopySyntaxError(
                f'syntax error at or near "{token.text}" ({what} needs a quoted value)'
            )
        return token.value

    def integer(self, what: str) -> int:
        self.accept("AS")
        token = self.next()
        text = token.value if token.kind == "string" else token.text
        if not text.isdigit():
            raise CopySyntaxError(f'syntax error at or near "{token.text}" ({what} needs a number)')
        return int(text)


def _options(statement: CopyStatement, tokens: list[Token]) -> None:
    cur = _Cursor(tokens)
    while cur.peek() is not None:
        token = cur.next()
        word = token.upper
        if token.kind != "word":
            raise CopySyntaxError(f'syntax error at or near "{token.text}"')
        statement.seen.append(word)
        if word == "IAM_ROLE":
            statement.iam_role = "default" if cur.accept("DEFAULT") else cur.string(word)
        elif word in ("CREDENTIALS", "WITH"):
            if word == "WITH":
                cur.accept("CREDENTIALS")
            statement.credentials = cur.string("CREDENTIALS")
        elif word == "ACCESS_KEY_ID":
            statement.access_key_id = cur.string(word)
        elif word == "SECRET_ACCESS_KEY":
            statement.secret_access_key = cur.string(word)
        elif word == "SESSION_TOKEN":
            statement.session_token = cur.string(word)
        elif word == "REGION":
            statement.region = cur.string(word)
        elif word == "MANIFEST":
            statement.manifest = True
        elif word == "FORMAT":
            cur.accept("AS")
            _format(statement, cur, cur.next().upper)
        elif word in ("CSV", "JSON", "AVRO"):
            _format(statement, cur, word)
        elif word == "DELIMITER":
            statement.delimiter = _unescape_char(cur.string(word))
        elif word == "QUOTE":
            statement.quote = cur.string(word)
        elif word == "IGNOREHEADER":
            statement.ignore_header = cur.integer(word)
        elif word in ("GZIP", "BZIP2"):
            statement.compression = word.lower()
        elif word == "TIMEFORMAT":
            statement.timeformat = cur.string(word)
        elif word == "DATEFORMAT":
            statement.dateformat = cur.string(word)
        elif word == "EMPTYASNULL":
            statement.empty_as_null = True
        elif word == "BLANKSASNULL":
            statement.blanks_as_null = True
        elif word == "ACCEPTINVCHARS":
            peek = cur.peek()
            if peek is not None and (peek.kind == "string" or peek.upper == "AS"):
                statement.accept_inv_chars = cur.string(word)
            else:
                statement.accept_inv_chars = "?"
        elif word == "MAXERROR":
            statement.max_error = cur.integer(word)
        elif word == "TRUNCATECOLUMNS":
            statement.truncate_columns = True
        elif word == "NULL":
            statement.null_as = cur.string("NULL AS")
        elif word == "IGNOREBLANKLINES":
            statement.ignore_blank_lines = True
        elif word == "TRIMBLANKS":
            statement.trim_blanks = True
        elif word == "ROUNDEC":
            statement.round_dec = True
        elif word in ("STATUPDATE", "COMPUPDATE"):
            value = cur.accept("ON", "OFF", "TRUE", "FALSE", "PRESET")
            setattr(statement, word.lower(), value or "ON")
        elif word in NOT_IMPLEMENTED:
            raise CopySyntaxError(
                f"redshift double: COPY option {word} is not implemented "
                "(see tests/redshift_double/README.md)",
                "0A000",
            )
        else:
            raise CopySyntaxError(f'syntax error at or near "{token.text}"')
    _check(statement)


def _format(statement: CopyStatement, cur: _Cursor, word: str) -> None:
    if word == "CSV":
        statement.format = "csv"
        if cur.accept("QUOTE"):
            statement.quote = cur.string("QUOTE")
    elif word in ("JSON", "AVRO"):
        statement.format = word.lower()
        cur.accept("AS")
        token = cur.peek()
        if token is not None and token.kind == "string":
            cur.next()
            arg = token.value
            if arg.lower().startswith("s3://") or arg == "noshred":
                raise CopySyntaxError(
                    f"redshift double: {word} '{arg}' is not implemented (only 'auto' and "
                    "'auto ignorecase')",
                    "0A000",
                )
            if arg not in ("auto", "auto ignorecase"):
                raise CopySyntaxError(f"Invalid {word} argument '{arg}'", "XX000")
            statement.format_arg = arg
    elif word in NOT_IMPLEMENTED:
        raise CopySyntaxError(
            f"redshift double: FORMAT {word} is not implemented (see tests/redshift_double/README.md)",
            "0A000",
        )
    else:
        raise CopySyntaxError(f'syntax error at or near "{word}"')


def _check(statement: CopyStatement) -> None:
    if statement.format == "text":
        raise CopySyntaxError(
            "redshift double: the default pipe-delimited text format is not implemented; "
            "use FORMAT AS CSV, JSON or AVRO",
            "0A000",
        )
    if statement.format in ("json", "avro"):
        for word in ("DELIMITER", "NULL", "IGNOREBLANKLINES"):
            if word in statement.seen:
                raise CopySyntaxError(
                    f"{word} argument is not supported for {statement.format.upper()} based COPY",
                    "0A000",
                )
    if "QUOTE" in statement.seen and statement.format != "csv":
        raise CopySyntaxError("QUOTE argument is only supported with CSV", "0A000")
    if statement.delimiter is not None and len(statement.delimiter) != 1:
        raise CopySyntaxError("DELIMITER must be a single character", "XX000")
    if len(statement.quote) != 1:
        raise CopySyntaxError("QUOTE must be a single character", "XX000")
    if statement.accept_inv_chars is not None and (
        len(statement.accept_inv_chars) != 1 or not statement.accept_inv_chars.isascii()
    ):
        raise CopySyntaxError("ACCEPTINVCHARS replacement must be one ASCII character", "XX000")
    credentials = [
        statement.iam_role is not None,
        statement.credentials is not None,
        statement.access_key_id is not None or statement.secret_access_key is not None,
    ]
    if sum(credentials) > 1:
        raise CopySyntaxError(
            "conflicting or redundant options: give one of IAM_ROLE, CREDENTIALS, "
            "ACCESS_KEY_ID/SECRET_ACCESS_KEY",
            "42601",
        )


def _unescape_char(text: str) -> str:
    """DELIMITER accepts '\\t' and octal '\\ddd' spellings."""
    if text == "\\t":
        return "\t"
    if re.fullmatch(r"\\[0-7]{3}", text):
        return chr(int(text[1:], 8))
    return text

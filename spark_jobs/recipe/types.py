"""The Wrangle type system on Spark: logical and semantic types, valid / mismatched / missing.

How a type is carried
---------------------
The platform keeps every imported value, also the ones that do not fit the column's type
("mismatched"), and shows the type beside the column. We do the same: a column inferred or set
to a Wrangle type keeps its *values as strings* and carries the type in its Spark field metadata
(``{"wrangle": {"type": "Integer"}}``, :data:`METADATA_KEY`). CSV outputs therefore write every
value as imported. :func:`to_physical` turns such columns into properly typed Spark columns
(``Integer -> bigint``, ``Decimal -> double``, ``Boolean -> boolean``, ``Datetime -> timestamp``,
``Date -> date``; mismatched values become null) for typed outputs (JSON, Avro, Parquet).

Columns that are already typed in Spark (Parquet input, values computed by a recipe) need no
metadata: :func:`column_type` maps their Spark type to the Wrangle type.

Classification
--------------
:func:`classify` is a plain Spark expression (no UDF) over the value rendered as a string:
``MISSING`` (2) when the value is null or the empty string, ``VALID`` (0) when it matches the
type (a regular expression, plus a range check for Integer and a parse for Datetime),
``MISMATCHED`` (1) otherwise.

Inference on import (:func:`infer_types`)
-----------------------------------------
Like the platform, which types a column from a sample of its rows: for every untyped string
column, the first :data:`INFERENCE_SAMPLE_ROWS` rows are classified against the candidate types
in order (Integer, Decimal, Boolean, Datetime, Email, URL, IP address), and the first candidate
that at least :data:`INFERENCE_THRESHOLD` of the non-missing sampled values fit is the column's
type; otherwise String. One small scan job fetches the sample; the classification is evaluated
on the driver over it, as a local relation, whatever the number of columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs import metadata_columns
from spark_jobs.compat import try_cast
from spark_jobs.dateformats import format_guard
from spark_jobs.recipe.json_text import array_json, map_json, parse_array, parse_object

VALID = 0
MISMATCHED = 1
MISSING = 2

METADATA_KEY = "wrangle"
INFERENCE_SAMPLE_ROWS = 1000
INFERENCE_THRESHOLD = 0.9

#: Spark datetime patterns tried, in order, when a Datetime has no explicit format
DEFAULT_DATETIME_FORMATS: tuple[str, ...] = (
    "yyyy-MM-dd HH:mm:ss",
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "yyyy-MM-dd'T'HH:mm:ssXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd HH:mm",
    "yyyy-MM-dd",
    "yyyy/MM/dd",
    "yyyy/MM/dd HH:mm:ss",
    "M/d/yyyy",
    "M/d/yyyy H:mm",
    "M/d/yyyy H:mm:ss",
    "M/d/yy",
    "d-M-yyyy",
    "d-M-yyyy H:mm:ss",  # what DATEFORMAT(..., 'dd-MM-yyyy HH:mm:ss') writes
    "d-M-yyyy H:mm",
    "MMM d, yyyy",
    "MMMM d, yyyy",
    "d MMM yyyy",
    "yyyyMMdd",
)

_US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI"
).split()
_US_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming|District of Columbia|Puerto Rico|Guam|American Samoa|"
    "Virgin Islands|Northern Mariana Islands"
)
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"

#: Java regular expressions (Spark's ``rlike``) of the types checked by pattern alone
PATTERNS: dict[str, str] = {
    "Integer": r"^[+-]?[0-9]+$",
    "Decimal": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$",
    "Boolean": r"(?i)^(true|false|t|f|yes|no|y|n|on|off|1|0)$",
    "Array": r"(?s)^\[.*\]$",
    "Object": r"(?s)^\{.*\}$",
    "Email": r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
    "URL": r"(?i)^(https?|ftp)://[^\s/?#]+[^\s]*$|^www\.[^\s/?#]+\.[^\s]+$",
    "IP Address": rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$",
    "Zip Code": r"^[0-9]{5}(-[0-9]{4})?$",
    "State": r"(?i)^(" + "|".join(_US_STATES) + "|" + _US_STATE_NAMES + r")$",
    "Phone Number": r"^(\+?1[-. ]?)?(\([2-9][0-9]{2}\)|[2-9][0-9]{2})[-. ]?[0-9]{3}[-. ]?[0-9]{4}$",
    "Social Security Number": r"^(?!000|666|9[0-9]{2})[0-9]{3}-?(?!00)[0-9]{2}-?(?!0000)[0-9]{4}$",
    # major issuers' prefixes and lengths, after spaces and dashes are removed (no Luhn check)
    "Credit Card": r"^(4[0-9]{12}([0-9]{3})?|5[1-5][0-9]{14}|2[2-7][0-9]{14}|3[47][0-9]{13}"
    r"|3(0[0-5]|[68][0-9])[0-9]{11}|6(011|5[0-9]{2})[0-9]{12}|35[0-9]{14})$",
    "Gender": r"(?i)^(m|f|male|female|man|woman|men|women|boy|girl|masculine|feminine)$",
}


@dataclass(frozen=True)
class WrangleType:
    """A Wrangle data type: a logical type (String, Integer, ...) or a semantic one (Email, ...).

    ``formats`` are Spark datetime patterns for Datetime / Date (empty: the default formats).
    """

    name: str
    formats: tuple[str, ...] = ()

    @property
    def is_semantic(self) -> bool:
        return self.name in SEMANTIC_TYPES

    @property
    def spark_type(self) -> T.DataType:
        """The Spark type a typed output stores this type's valid values as."""
        return _SPARK_TYPES.get(self.name, T.StringType())

    def to_metadata(self) -> dict[str, object]:
        data: dict[str, object] = {"type": self.name}
        if self.formats:
            data["formats"] = list(self.formats)
        return {METADATA_KEY: data}

    @staticmethod
    def parse(name: str, formats: Sequence[str] = ()) -> WrangleType:
        """The type named ``name`` (case-insensitive, the platform's aliases accepted).

        Raises ``KeyError`` naming nothing else; callers turn it into a located RecipeError.
        """
        canonical = TYPE_ALIASES[_normalize(name)]
        return WrangleType(canonical, tuple(formats))


STRING = WrangleType("String")
INTEGER = WrangleType("Integer")
DECIMAL = WrangleType("Decimal")
BOOLEAN = WrangleType("Boolean")
DATETIME = WrangleType("Datetime")
DATE = WrangleType("Date")
ARRAY = WrangleType("Array")
OBJECT = WrangleType("Object")

LOGICAL_TYPES = ("String", "Integer", "Decimal", "Boolean", "Datetime", "Date", "Array", "Object")
SEMANTIC_TYPES = (
    "Email",
    "URL",
    "IP Address",
    "Zip Code",
    "State",
    "Phone Number",
    "Social Security Number",
    "Credit Card",
    "Gender",
)

_SPARK_TYPES: dict[str, T.DataType] = {
    "Integer": T.LongType(),
    "Decimal": T.DoubleType(),
    "Boolean": T.BooleanType(),
    "Datetime": T.TimestampType(),
    "Date": T.DateType(),
}


def _normalize(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


#: normalized spelling -> canonical name (the platform's names and the usual aliases)
TYPE_ALIASES: dict[str, str] = {_normalize(n): n for n in (*LOGICAL_TYPES, *SEMANTIC_TYPES)}
TYPE_ALIASES.update(
    {
        "int": "Integer",
        "long": "Integer",
        "bigint": "Integer",
        "float": "Decimal",
        "double": "Decimal",
        "number": "Decimal",
        "numeric": "Decimal",
        "bool": "Boolean",
        "timestamp": "Datetime",
        "date": "Date",
        "map": "Object",
        "str": "String",
        "emailaddress": "Email",
        "ip": "IP Address",
        "ipv4": "IP Address",
        "ipaddress": "IP Address",
        "zip": "Zip Code",
        "zipcode": "Zip Code",
        "usstate": "State",
        "phone": "Phone Number",
        "phonenumber": "Phone Number",
        "ssn": "Social Security Number",
        "creditcard": "Credit Card",
        "sex": "Gender",
    }
)


def known_type_names() -> list[str]:
    return [*LOGICAL_TYPES, *SEMANTIC_TYPES]


def column_type(field: T.StructField) -> WrangleType:
    """The Wrangle type of a DataFrame column: from its metadata, else from its Spark type."""
    meta = (field.metadata or {}).get(METADATA_KEY)
    if isinstance(meta, dict) and isinstance(meta.get("type"), str):
        name = meta["type"]
        formats = tuple(str(f) for f in meta.get("formats") or ())
        canonical = TYPE_ALIASES.get(_normalize(name))
        if canonical:
            return WrangleType(canonical, formats)
    return spark_to_wrangle(field.dataType)


def spark_to_wrangle(data_type: T.DataType) -> WrangleType:
    if isinstance(data_type, T.BooleanType):
        return BOOLEAN
    if isinstance(data_type, T.IntegralType):
        return INTEGER
    if isinstance(data_type, T.DecimalType) and data_type.scale == 0:
        return INTEGER
    if isinstance(data_type, T.FractionalType):
        return DECIMAL
    if isinstance(data_type, T.TimestampType | T.TimestampNTZType):
        return DATETIME
    if isinstance(data_type, T.DateType):
        return DATE
    if isinstance(data_type, T.ArrayType):
        return ARRAY
    if isinstance(data_type, T.MapType | T.StructType):
        return OBJECT
    return STRING


def as_text(column: Column) -> Column:
    """A value as the platform displays it (what classification looks at)."""
    return column.cast("string")


def is_missing(column: Column) -> Column:
    """Null or empty: the platform's missing values. Never null itself (``<=>``), so a row filter
    on it needs no coalesce and Spark infers ``isnotnull`` for the steps after it."""
    text = as_text(column)
    return text.isNull() | text.eqNullSafe(F.lit(""))


#: texts that a format parses exactly as Spark's own cast to timestamp does (4-digit years from
#: 1000, two-digit fields): the cast is a hand-written parser, about ten times cheaper than a
#: formatter's parse, and it throws nothing on a bad date (the value is then null either way)
_CAST_EQUIVALENT: dict[str, str] = {
    "yyyy-MM-dd": r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}",
    "yyyy-MM-dd HH:mm:ss": r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}",
    "yyyy-MM-dd'T'HH:mm:ss": r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}",
}


def _cast_fast_path(formats: Sequence[str]) -> str | None:
    """One regex for the texts the whole format list parses as Spark's cast does, or None.

    Only for a single format, or the default list: there the cast-equivalent formats cannot be
    pre-empted by an earlier format (each earlier one needs characters these texts lack), so the
    first format that parses such a text is the cast-equivalent one.
    """
    if len(formats) != 1 and tuple(formats) != DEFAULT_DATETIME_FORMATS:
        return None
    shapes = [_CAST_EQUIVALENT[f] for f in formats if f in _CAST_EQUIVALENT]
    # \z, not $: Java's $ also matches before a final line break ("2020-01-05\n" is no date)
    return r"\A(?:" + "|".join(shapes) + r")\z" if shapes else None


def parse_datetime(text: Column, formats: Sequence[str] = ()) -> Column:
    """The timestamp a string holds, tried against each format (null when none fits).

    ISO dates and date-times take Spark's cast (see ``_CAST_EQUIVALENT``); every other text is
    tried against each format, only where its :func:`~spark_jobs.dateformats.format_guard` matches (see there why).
    """
    formats = tuple(formats) or DEFAULT_DATETIME_FORMATS
    attempts = []
    fast = _cast_fast_path(formats)
    if fast is not None:
        attempts.append(F.when(text.rlike(fast), text.cast("timestamp")))
    for pattern in formats:
        attempt = F.try_to_timestamp(text, F.lit(pattern))
        guard = format_guard(pattern)
        attempts.append(attempt if guard is None else F.when(text.rlike(guard), attempt))
    return attempts[0] if len(attempts) == 1 else F.coalesce(*attempts)


def parsed_value(column: Column, wtype: WrangleType) -> Column | None:
    """The parse that deciding validity needs (Integer, Decimal, Datetime, Date), else None.

    Callers that classify many values and also need the typed value (the profile) compute this
    once, in a projection, and pass it to :func:`is_valid` / :func:`classify`: Spark does not
    share a subexpression between a ``CASE WHEN`` branch and another column, so without that the
    parse ran two or three times per value.
    """
    name = wtype.name
    text = as_text(column)
    if name == "Integer":
        return try_cast(text, "bigint")
    if name == "Decimal":
        return try_cast(text, "double")
    if name in ("Datetime", "Date"):
        return parse_datetime(text, wtype.formats)
    return None


def is_valid(column: Column, wtype: WrangleType, parsed: Column | None = None) -> Column:
    """True when the (non-missing) value is a valid value of ``wtype``; null for a null value.

    ``parsed``: the value's :func:`parsed_value`, when the caller has it already.
    """
    text = as_text(column)
    name = wtype.name
    if name == "String":
        return text.isNotNull()
    if name in ("Integer", "Decimal", "Datetime", "Date"):
        value = parsed if parsed is not None else parsed_value(column, wtype)
        assert value is not None
        if name in ("Integer", "Decimal"):
            return text.rlike(PATTERNS[name]) & value.isNotNull()
        return value.isNotNull()
    if name == "Credit Card":
        return F.regexp_replace(text, r"[ -]", "").rlike(PATTERNS[name])
    return text.rlike(PATTERNS[name])


def rule_definition(wtype: WrangleType) -> dict[str, object]:
    """The rules :func:`classify` applies for ``wtype``, as data: the profile's JVM classifier
    (jvm/profile, ``ColumnRule``) reads them, so the type rules keep one definition (this
    module). ``regex``: the type's pattern; ``formats`` / ``guards``: the datetime formats tried
    in order and each one's :func:`format_guard`; ``castFormats``: the formats whose texts take
    Spark's cast (:func:`_cast_fast_path`), empty when there is no fast path."""
    formats: tuple[str, ...] = ()
    if wtype.name in ("Datetime", "Date"):
        formats = wtype.formats or DEFAULT_DATETIME_FORMATS
    fast = _cast_fast_path(formats) if formats else None
    return {
        "type": wtype.name,
        "regex": PATTERNS.get(wtype.name),
        "formats": list(formats),
        "guards": [format_guard(f) for f in formats],
        "castFormats": [f for f in formats if f in _CAST_EQUIVALENT] if fast else [],
    }


def classify(column: Column, wtype: WrangleType, parsed: Column | None = None) -> Column:
    """``VALID`` (0), ``MISMATCHED`` (1) or ``MISSING`` (2) for each value, as an integer column.

    ``parsed``: the value's :func:`parsed_value`, when the caller has it already.
    """
    return (
        F.when(is_missing(column), F.lit(MISSING))
        .when(is_valid(column, wtype, parsed), F.lit(VALID))
        .otherwise(F.lit(MISMATCHED))
        .cast("int")
    )


def to_boolean(text: Column) -> Column:
    """A Boolean value's platform spellings (true/t/yes/y/on/1 ...) as a Spark boolean."""
    lowered = F.lower(F.trim(text.cast("string")))
    return F.when(lowered.isin("true", "t", "yes", "y", "on", "1"), F.lit(True)).when(
        lowered.isin("false", "f", "no", "n", "off", "0"), F.lit(False)
    )


def typed_value(column: Column, wtype: WrangleType) -> Column:
    """The value converted to ``wtype``'s Spark type; null where it is mismatched or missing."""
    name = wtype.name
    if name == "Integer":
        # try_cast refuses '4.2', 'abc' and values beyond 64 bits (null), like classify
        return try_cast(as_text(column), "bigint")
    if name == "Decimal":
        return try_cast(as_text(column), "double")
    if name == "Boolean":
        return to_boolean(column)
    if name == "Datetime":
        return parse_datetime(as_text(column), wtype.formats)
    if name == "Date":
        return F.to_date(parse_datetime(as_text(column), wtype.formats))
    return column


def annotated(column: Column, name: str, wtype: WrangleType) -> Column:
    """``column`` named ``name`` and carrying ``wtype`` in its metadata."""
    return column.alias(name, metadata=wtype.to_metadata())


def _quoted(name: str) -> Column:
    return F.col("`" + name.replace("`", "``") + "`")


def to_physical(df: DataFrame) -> DataFrame:
    """Every column typed by metadata as its Spark type (for typed outputs: JSON, Avro, Parquet).

    String columns whose Wrangle type is Integer, Decimal, Boolean, Datetime or Date are
    converted (mismatched values become null); every other column is left as it is.

    The engine's own column metadata (the Wrangle type) is dropped on the way: it describes the
    text values of the recipe, not the typed files, and other readers have no use for it.
    """
    columns = []
    for field in df.schema.fields:
        wtype = column_type(field)
        column = _quoted(field.name)
        if isinstance(field.dataType, T.StringType) and wtype.name in _SPARK_TYPES:
            columns.append(typed_value(column, wtype).alias(field.name))
        elif isinstance(field.dataType, T.StringType) and METADATA_KEY in (field.metadata or {}):
            # not a plain alias: that would inherit the metadata again once the optimizer
            # collapses the projections; appending '' is an expression it keeps
            columns.append(F.concat(column, F.lit("")).alias(field.name))
        else:
            columns.append(column)
    return df.select(*columns)


def to_json_output(df: DataFrame) -> tuple[DataFrame, list[str]]:
    """The columns as a JSON output holds them, and the names of those holding JSON values.

    JSON keeps a value as the recipe shows it, like CSV: Datetime and Date text stays the text
    (``2024-01-01``, ``01/02/2024``), not a timestamp. What JSON itself can type is typed, as
    :func:`to_physical` does: Integer and Decimal as numbers, Boolean as booleans (mismatched
    values null). Array and Object text is returned as normalised JSON text (null when it is
    no JSON array / object, the platform's mismatched value), to be written as the JSON value
    itself: those columns are the list returned.
    """
    columns = []
    nested = []
    for field in df.schema.fields:
        wtype = column_type(field)
        column = _quoted(field.name)
        text_typed = isinstance(field.dataType, T.StringType)
        if text_typed and wtype.name in ("Integer", "Decimal", "Boolean"):
            columns.append(typed_value(column, wtype).alias(field.name))
        elif text_typed and wtype.name in ("Array", "Object"):
            parsed = parse_array(column) if wtype.name == "Array" else parse_object(column)
            text = array_json(parsed) if wtype.name == "Array" else map_json(parsed)
            columns.append(F.when(parsed.isNotNull(), text).alias(field.name))
            nested.append(field.name)
        elif text_typed and METADATA_KEY in (field.metadata or {}):
            # see to_physical: drops the engine's metadata
            columns.append(F.concat(column, F.lit("")).alias(field.name))
        else:
            columns.append(column)
    return df.select(*columns), nested


#: day-first dates (``24/04/2019``): tried after the month-first default formats, so a column
#: is read day first when too many of its values are no month-first date, as the platform types
#: such a column ``dd*mm*yyyy``
DATETIME_DAY_FIRST = WrangleType(
    "Datetime", ("d/M/yyyy", "d/M/yyyy H:mm", "d/M/yyyy H:mm:ss", "d/M/yy", "d-M-yyyy")
)

#: candidates of inference, in the order they are tried
INFERENCE_CANDIDATES: tuple[WrangleType, ...] = (
    INTEGER,
    DECIMAL,
    BOOLEAN,
    DATETIME,
    DATETIME_DAY_FIRST,
    WrangleType("Email"),
    WrangleType("URL"),
    WrangleType("IP Address"),
)


def infer_types(df: DataFrame) -> DataFrame:
    """Type every untyped string column from a sample of its values (see the module docstring).

    Values are kept as they are (strings); the inferred type goes into the column's metadata.
    The classification runs on the driver, over the sample as a local relation: a fixed cost
    of one small scan job, instead of an aggregate of (1 + 7) x columns generated expressions
    whose compilation cost seconds on every import (:func:`_sample_type_counts`).
    """
    candidates = [
        f
        for f in df.schema.fields
        if isinstance(f.dataType, T.StringType)
        and METADATA_KEY not in (f.metadata or {})
        and not metadata_columns.is_hidden(f.name)
    ]
    if not candidates:
        return df
    counts = _sample_type_counts(df, [f.name for f in candidates])
    inferred: dict[str, WrangleType] = {}
    for field, (present, valid) in zip(candidates, counts, strict=True):
        chosen = STRING
        if present:
            for j, wtype in enumerate(INFERENCE_CANDIDATES):
                if valid[j] >= INFERENCE_THRESHOLD * present:
                    chosen = wtype
                    break
        inferred[field.name] = chosen
    return df.select(
        *[
            annotated(_quoted(f.name), f.name, inferred[f.name])
            if f.name in inferred
            else _quoted(f.name)
            for f in df.schema.fields
        ]
    )


def _sample_type_counts(df: DataFrame, names: Sequence[str]) -> list[tuple[int, list[int]]]:
    """For each column: (non-missing values, values valid for each inference candidate) among
    the first :data:`INFERENCE_SAMPLE_ROWS` rows.

    Why this shape: the sample is fetched by one plain scan job and kept in the JVM as a local
    relation; Spark's optimizer evaluates a projection over a local relation on the driver,
    interpreted (``ConvertToLocalRelation``), so the classification needs no second job and no
    generated code. Each column's row flags are packed in one integer (bit 0: present, bit
    ``j + 1``: valid for candidate ``j``), counted here in Python.
    """
    spark = df.sparkSession
    sample = df.select(*[_quoted(n) for n in names]).limit(INFERENCE_SAMPLE_ROWS)
    rows = sample._jdf.collectAsList()
    local = DataFrame(spark._jsparkSession.createDataFrame(rows, sample._jdf.schema()), spark)
    flags = []
    for i, name in enumerate(names):
        col = _quoted(name)
        present = ~is_missing(col)
        packed = F.when(present, F.lit(1)).otherwise(F.lit(0))
        for j, wtype in enumerate(INFERENCE_CANDIDATES):
            bit = F.lit(1 << (j + 1))
            packed = packed + F.when(present & is_valid(col, wtype), bit).otherwise(F.lit(0))
        flags.append(packed.alias(f"f{i}"))
    present_counts = [0] * len(names)
    valid_counts = [[0] * len(INFERENCE_CANDIDATES) for _ in names]
    for row in local.select(*flags).collect():
        for i, packed_value in enumerate(row):
            if packed_value & 1:
                present_counts[i] += 1
                for j in range(len(INFERENCE_CANDIDATES)):
                    if packed_value & (1 << (j + 1)):
                        valid_counts[i][j] += 1
    return list(zip(present_counts, valid_counts, strict=True))


def with_type(df: DataFrame, name: str, wtype: WrangleType) -> DataFrame:
    """``df`` with column ``name`` set to ``wtype`` the platform's way (values kept as text)."""
    fields = {f.name: f for f in df.schema.fields}
    field = fields[name]
    if wtype.name in ("Array", "Object") and not isinstance(field.dataType, T.StringType):
        value = _quoted(name)
    elif isinstance(field.dataType, T.StringType):
        value = _quoted(name)
    else:
        value = _display_string(_quoted(name), field.dataType)
    return df.select(*[annotated(value, n, wtype) if n == name else _quoted(n) for n in df.columns])


def _display_string(column: Column, data_type: T.DataType) -> Column:
    """A typed value as the platform writes it (arrays and objects as JSON)."""
    if isinstance(data_type, T.ArrayType | T.MapType | T.StructType):
        return F.to_json(column)
    if isinstance(data_type, T.TimestampType | T.TimestampNTZType):
        return F.date_format(column, "yyyy-MM-dd HH:mm:ss")
    return column.cast("string")

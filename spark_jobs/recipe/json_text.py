"""JSON text on Spark without VARIANT: arrays and objects as the recipe engine carries them.

An array is an ``array<string>`` of each element's JSON text (``1``, ``"a"``, ``{"k":2}``,
``null``); an object a ``map<string,string>`` of key to value JSON text, in the object's own key
order. Both are read with ``from_json``, which Spark 3.5 and 4 have alike, so nested values work
the same on both lines (VARIANT, Spark 4 only, is not needed).

Why the marker: ``from_json`` into ``array<string>`` / ``map<string,string>`` gives a nested
value as its JSON text but a string *without its quotes*, so ``"1"`` and ``1`` would read alike.
Before parsing, every string that is a value (not an object key) gets a marker character
(U+0001, written as its JSON escape) after its opening quote: an element that starts with the
marker was a string, and the marker is taken out of nested values' JSON text again. One regular
expression pass over the text; Spark's own writer re-creates nested values' text, so numbers are
normalised (``2.50`` becomes ``2.5``) and whitespace goes.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.compat import try_cast

#: the characters of a JSON string between its quotes (escapes included); possessive, so long
#: strings do not recurse in Java's regex engine
_BODY = r'[^"\\]*+(?:\\.[^"\\]*+)*+'
#: from where the previous match ended: text and object keys (strings followed by a colon),
#: then the next string that is a value
_VALUE_STRING = r'\G((?:[^"]++|"' + _BODY + r'"(?=\s*:))*+)"(' + _BODY + ')"'
_MARK = "\u0001"
#: a marked value's opening quote in Spark's own (whitespace-free) JSON output: after ``[``,
#: ``,`` or ``:``, where a quote inside a string would be escaped (``\\"``)
_MARKED = r'(?<=[\[,:])"\\u0001'
#: strict JSON (as Spark 4's VARIANT reader): no single-quoted strings, no NaN / Infinity
_STRICT = {"allowSingleQuotes": "false", "allowNonNumericNumbers": "false"}
#: a character that JSON escapes in a string
_ESCAPED = r'["\\\x00-\x1f]'


def _read(text: Column, schema: str) -> Column:
    """``text`` parsed as ``schema`` with every string value marked (null when no such JSON)."""
    marked = F.regexp_replace(text, _VALUE_STRING, '$1"\\\\u0001$2"')
    return F.from_json(marked, schema, _STRICT)


def read_array(text: Column) -> Column:
    """JSON array text as ``array<string>`` of its elements *as read* (strings marked): turn an
    element into JSON text with :func:`raw_json`, into its value with :func:`raw_value`. Null
    when the text is no JSON array."""
    return _read(text, "array<string>")


def read_object(text: Column) -> Column:
    """JSON object text as ``map<string,string>`` of its values *as read*, in its key order
    (see :func:`read_array`). Null when the text is no JSON object."""
    return _read(text, "map<string,string>")


def raw_json(raw: Column) -> Column:
    """A value as read as its JSON text; an absent value (null) stays null."""
    return (
        F.when(raw.startswith(_MARK), quote_json(raw.substr(F.lit(2), F.length(raw))))
        .when(raw.contains('"'), F.regexp_replace(raw, _MARKED, '"'))
        .otherwise(raw)
    )


def raw_value(raw: Column) -> Column:
    """A value as read as its value's text: a string without its quotes, a nested value as its
    JSON text, JSON null as null (as :func:`element_value`, without quoting and unquoting)."""
    return (
        F.when(raw.startswith(_MARK), raw.substr(F.lit(2), F.length(raw)))
        .when(raw.contains('"'), F.regexp_replace(raw, _MARKED, '"'))
        .otherwise(raw)
    )


def _element(raw: Column) -> Column:
    """An element as read as its JSON text, JSON null as ``null``."""
    return F.coalesce(raw_json(raw), F.lit("null"))


def array_length(text: Column) -> Column:
    """The number of elements of a JSON array text (null when no JSON array); no element is
    looked at, so no marker is needed."""
    elements = F.from_json(text, "array<string>", _STRICT)
    return F.when(elements.isNotNull(), F.size(elements))


def array_values(text: Column) -> Column:
    """JSON array text as ``array<string>`` of its elements' values (:func:`raw_value`)."""
    return F.transform(read_array(text), raw_value)


def array_value_at(text: Column, position: Column) -> Column:
    """The value of the element at a 1-based ``position`` (negative: from the end), or null."""
    return raw_value(F.try_element_at(read_array(text), position))


def object_keys(text: Column) -> Column:
    """The keys of a JSON object text in its order (null when no JSON object); keys need no
    marker."""
    return F.map_keys(F.from_json(text, "map<string,string>", _STRICT))


def member_of(elements: Column | None, members: Column | None, part: str) -> Column:
    """``part`` of a value read both ways: a key of ``members`` (:func:`read_object`), and for
    digits (``0``, ``-1``) first an index of ``elements`` (:func:`read_array`); as read."""
    by_key = members[part] if members is not None else None
    if elements is None or not part.lstrip("-").isdigit():
        assert by_key is not None
        return by_key
    index = int(part)
    by_index = F.try_element_at(elements, F.lit(index + 1 if index >= 0 else index))
    return by_index if by_key is None else F.coalesce(by_index, by_key)


def member(text: Column, part: str) -> Column:
    """``part`` (a key, or for digits also an index) of a JSON value text, as read."""
    elements = read_array(text) if part.lstrip("-").isdigit() else None
    return member_of(elements, read_object(text), part)


def parse_array(text: Column) -> Column:
    """JSON text as ``array<string>`` of element JSON texts (null when no JSON array)."""
    return F.transform(read_array(text), _element)


def parse_object(text: Column) -> Column:
    """JSON text as ``map<string,string>`` of value JSON texts, in the object's key order
    (null when no JSON object)."""
    return F.transform_values(read_object(text), lambda _, v: _element(v))


def array_json(elements: Column) -> Column:
    """``array<string>`` of element JSON texts as a JSON array text."""
    return F.concat(F.lit("["), F.array_join(elements, ","), F.lit("]"))


def quote_json(text: Column) -> Column:
    """A string as a JSON string literal (null stays null)."""
    escaped = F.to_json(F.array(text))
    return F.when(~text.rlike(_ESCAPED), F.concat(F.lit('"'), text, F.lit('"'))).when(
        text.isNotNull(), escaped.substr(F.lit(2), F.length(escaped) - 2)
    )


def object_json(keys: Column, values: Column) -> Column:
    """Parallel arrays of keys (text) and value JSON texts as a JSON object text."""
    pairs = F.zip_with(keys, values, lambda k, v: F.concat(quote_json(k), F.lit(":"), v))
    return F.concat(F.lit("{"), F.array_join(pairs, ","), F.lit("}"))


def map_json(obj: Column) -> Column:
    return object_json(F.map_keys(obj), F.map_values(obj))


def element_value(element: Column) -> Column:
    """An element's JSON text as its value's text (strings unquoted, JSON null as null)."""
    quoted_ = element.startswith('"')
    return (
        F.when(element == "null", F.lit(None).cast("string"))
        .when(
            quoted_ & ~element.contains("\\"),
            element.substr(F.lit(2), F.length(element) - 2),
        )
        .when(quoted_, F.get_json_object(F.concat(F.lit('{"v":'), element, F.lit("}")), "$.v"))
        .otherwise(element)
    )


def element_number(element: Column) -> Column:
    """An element's value as a number (numbers and numeric text; null for other values)."""
    return try_cast(element_value(element), "double")

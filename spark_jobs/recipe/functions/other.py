"""The reference's "other" functions: CASE, RAND, RANDBETWEEN, RANGE, IP addresses
(IPTOINT, IPFROMINT) and URL parts (HOST, DOMAIN, SUBDOMAIN, SUFFIX, URLPARAMS).

Arrays and objects are returned as JSON text, as the nested family does; building them needs
no VARIANT, so these work on Spark 3.5 too.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.compat import array_position
from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.json_text import object_json, quote_json
from spark_jobs.recipe.registry import function

# --- conditions -----------------------------------------------------------------------------


@function("CASE", example="CASE([d > 1, 'big', d < 0, 'negative', 'small'])")
def case(ctx: CallContext, args: list[Arg]) -> Column:
    """CASE([test1, result1, test2, result2, ..., [else]]): the result of the first test that
    holds (a missing test counts as false); an unpaired last item, or a quoted string where a
    test is expected, is the result when no test holds; without one the result is null."""
    node = args[0].node
    if not isinstance(node, ast.ArrayLit) or not node.items:
        raise ctx.error("expects a list such as [test1, 'result1', test2, 'result2', 'else']")
    items = [Arg(i, ctx.ctx) for i in node.items]
    result: Column | None = None
    otherwise: Column = F.lit(None)
    i = 0
    while i < len(items):
        test = items[i]
        if i == len(items) - 1 or isinstance(test.node, ast.StringLit):
            otherwise = test.value
            if i != len(items) - 1:
                raise ctx.error("the else result must be the last item of the list", items[i + 1])
            break
        holds = F.coalesce(test.value.cast("boolean"), F.lit(False))
        then = items[i + 1].value
        result = F.when(holds, then) if result is None else result.when(holds, then)
        i += 2
    if result is None:
        raise ctx.error("needs at least one test and its result", args[0])
    return result.otherwise(otherwise)


# --- random numbers, ranges -----------------------------------------------------------------


def _seed(ctx: CallContext, args: list[Arg]) -> int | None:
    if not args:
        return None
    value = args[0].literal if args[0].is_literal else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error("the seed must be a whole number", args[0])
    return value


@function("RAND", arity=(0, 1))
def rand(ctx: CallContext, args: list[Arg]) -> Column:
    """RAND([seed]): a random number from 0 (included) to 1 (excluded)."""
    return F.rand(_seed(ctx, args))


@function("RANDBETWEEN", arity=2, example="RANDBETWEEN(1, 6)")
def randbetween(ctx: CallContext, args: list[Arg]) -> Column:
    """RANDBETWEEN(low, high): a random whole number from low to high, both included."""
    low, high = args[0].value.cast("long"), args[1].value.cast("long")
    pick = F.floor(F.rand() * (high - low + 1)).cast("long") + low
    return F.when(high >= low, pick)


@function("RANGE", arity=(2, 3), example="RANGE(1, 10, 2)")
def range_(ctx: CallContext, args: list[Arg]) -> Column:
    """RANGE(start, stop, [step]): the whole numbers from start up to stop (excluded) by step,
    as a JSON array; [] when the step does not lead from start to stop; null for step 0."""
    start, stop = args[0].value.cast("long"), args[1].value.cast("long")
    step = args[2].value.cast("long") if len(args) > 2 else F.lit(1).cast("long")
    # the last value before stop: start + step * (ceil((stop - start) / step) - 1)
    count = F.ceil((stop - start) / step).cast("long")
    last = start + step * (count - 1)
    numbers = F.when(count > 0, F.sequence(start, last, step)).otherwise(
        F.array().cast("array<bigint>")
    )
    return F.when(step != 0, F.to_json(numbers))


# --- IP addresses ---------------------------------------------------------------------------

_IPV4 = r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$"


@function("IPTOINT")
def iptoint(ctx: CallContext, args: list[Arg]) -> Column:
    """IPTOINT('a.b.c.d'): the IPv4 address as a number (a * 256^3 + b * 256^2 + c * 256 + d);
    null for text that is no IPv4 address."""
    text = F.trim(args[0].raw.cast("string"))
    parts = [F.regexp_extract(text, _IPV4, i).cast("long") for i in range(1, 5)]
    valid = text.rlike(_IPV4)
    for part in parts:
        valid = valid & (part <= 255)
    number = ((parts[0] * 256 + parts[1]) * 256 + parts[2]) * 256 + parts[3]
    return F.when(valid, number)


@function("IPFROMINT")
def ipfromint(ctx: CallContext, args: list[Arg]) -> Column:
    """IPFROMINT(n): the IPv4 address of a number from 0 to 4294967295 (null otherwise)."""
    raw = args[0].value.cast("double")
    n = raw.cast("long")
    octets = [F.shiftright(n, bits).bitwiseAND(255).cast("string") for bits in (24, 16, 8, 0)]
    valid = (raw == F.floor(raw)) & (n >= 0) & (n <= 4294967295)
    return F.when(valid, F.concat_ws(".", *octets))


# --- URLs -----------------------------------------------------------------------------------

#: protocol (optional), user info (optional), then the host up to a port, path, query or fragment
_HOST = r"^\s*(?:[A-Za-z][A-Za-z0-9+.\-]*://)?(?:[^@/?#]*@)?([^/?#:\s]+)"


def _host(arg: Arg) -> Column:
    host = F.lower(F.regexp_extract(arg.raw.cast("string"), _HOST, 1))
    return F.when(host != "", host)


def _labels(arg: Arg) -> Column:
    """The host's dot-separated labels; null for a missing host or an IP address."""
    host = _host(arg)
    return F.when(~host.rlike(r"^[0-9.]+$"), F.split(host, r"\."))


@function("HOST")
def host(ctx: CallContext, args: list[Arg]) -> Column:
    """HOST(url): everything after the protocol up to the end of the extension
    (``http://www.example.com/a`` gives ``www.example.com``)."""
    return _host(args[0])


@function("SUFFIX")
def suffix(ctx: CallContext, args: list[Arg]) -> Column:
    """SUFFIX(url): the host's last label (``com``)."""
    labels = _labels(args[0])
    return F.when(F.size(labels) >= 2, F.element_at(labels, -1))


@function("DOMAIN")
def domain(ctx: CallContext, args: list[Arg]) -> Column:
    """DOMAIN(url): the label before the suffix (``example``; ``co`` for ``x.co.uk``)."""
    labels = _labels(args[0])
    return F.when(F.size(labels) >= 2, F.element_at(labels, -2))


@function("SUBDOMAIN")
def subdomain(ctx: CallContext, args: list[Arg]) -> Column:
    """SUBDOMAIN(url): the labels before the domain (``www``; ``www.exampl`` for
    ``www.exampl.e.com``); null when there are none."""
    labels = _labels(args[0])
    return F.when(F.size(labels) >= 3, F.array_join(F.slice(labels, 1, F.size(labels) - 2), "."))


@function("URLPARAMS")
def urlparams(ctx: CallContext, args: list[Arg]) -> Column:
    """URLPARAMS(url): the query parameters as an object ``{"name": "value"}`` (the first of
    repeated names wins; values as written, not decoded); null without a query."""
    query = F.regexp_extract(args[0].raw.cast("string"), r"\?([^#]*)", 1)
    pairs = F.filter(F.split(query, "&"), lambda p: p != "")
    names = F.transform(pairs, lambda p: F.regexp_extract(p, r"^([^=]*)", 1))
    values = F.transform(pairs, lambda p: F.regexp_extract(p, r"^[^=]*=?(.*)$", 1))
    positions = F.sequence(F.lit(1), F.greatest(F.size(names), F.lit(1)))
    kept = F.filter(
        positions,
        lambda i: (F.size(names) >= i) & (array_position(names, F.try_element_at(names, i)) == i),
    )
    keys = F.transform(kept, lambda i: F.try_element_at(names, i))
    texts = F.transform(kept, lambda i: quote_json(F.try_element_at(values, i)))
    return F.when(F.size(pairs) > 0, object_json(keys, texts))

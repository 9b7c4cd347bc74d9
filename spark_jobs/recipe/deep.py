"""Deeply nested expressions: compile them in a thread with a stack to match.

The compiler walks an expression recursively (a function compiles its arguments, which compile
theirs), about five Python frames per level, so Python's default limit of 1000 frames stops near
200 levels; recipes that tools generate nest ``IF`` deeper than that. Expressions up to
:data:`spark_jobs.recipe.parser.MAX_DEPTH` levels compile in a worker thread whose stack is
:data:`STACK_BYTES` (address space: only the pages used are committed) and whose recursion limit
is raised for as long as it runs. Shallow recipes compile where they are called, as before.

The thread is pyspark's ``InheritableThread``, so the Spark jobs a step may start while it
compiles (``header``, ``pivot``) carry the caller's job group and description, and the caller's
session is made the worker's active session.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from spark_jobs.recipe import ast

T = TypeVar("T")

#: nesting compiled where it is called (well inside Python's default 1000 frames)
INLINE_DEPTH = 60
#: the worker's stack; the deepest expression allowed takes a few MiB of it
STACK_BYTES = 256 * 1024 * 1024
#: Python frames allowed per nesting level (the compiler takes about five)
FRAMES_PER_LEVEL = 20
#: the JVM thread stack the same depth needs on Spark's side (session.STACK_JAVA_OPTIONS sets
#: it for local sessions; a test keeps the two equal)
JVM_STACK_OPTION = "-Xss16m"

_lock = threading.Lock()
_local = threading.local()


def step_depth(step: ast.Step) -> int:
    """How deeply the deepest expression of ``step`` nests."""
    return max((ast.depth(v) for p in step.params for v in p.values), default=0)


def run_deep(fn: Callable[[], T], depth: int) -> T:
    """``fn()``, in a worker thread with a large stack when ``depth`` needs one."""
    if depth <= INLINE_DEPTH or getattr(_local, "deep", False):
        return fn()
    from pyspark import InheritableThread
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        _local.deep = True
        try:
            _activate(session)
            outcome.append(fn())
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    limit = sys.getrecursionlimit() + depth * FRAMES_PER_LEVEL
    with _lock:
        previous_stack = threading.stack_size(STACK_BYTES)
        try:
            worker = InheritableThread(target=target, name="wrangle-deep-expression")
        finally:
            threading.stack_size(previous_stack)
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous_limit, limit))
        try:
            worker.start()
            worker.join()
        finally:
            sys.setrecursionlimit(previous_limit)
    if failure:
        raise failure[0]
    return outcome[0]


def _activate(session: object) -> None:
    """Make the caller's session the worker's active one: the JVM keeps it per thread, and code
    that asks for it (``compat.try_cast`` on Spark 3.5) would find none."""
    java_session = getattr(session, "_jsparkSession", None)
    context = getattr(session, "sparkContext", None)
    jvm = getattr(context, "_jvm", None)
    if java_session is not None and jvm is not None:
        jvm.org.apache.spark.sql.SparkSession.setActiveSession(java_session)

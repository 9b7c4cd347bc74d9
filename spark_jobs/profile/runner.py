"""The profile job of a job group: profile the target's output as JSON and HTML.

The profile describes a DataFrame and knows no job store: :class:`ProfileJob` returns a
:class:`ProfileReport` (the JSON document and the HTML page) and the runner stores both next to
the job group's result.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyspark.sql import Observation

from spark_jobs.profile.aggregate import ProfileAggregate
from spark_jobs.profile.html import render_html
from spark_jobs.profile.stats import ProfileSettings, profile_aggregate_for, profile_dataframe
from spark_jobs.recipe.context import quoted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: how long the profile waits for the observed result after the writes
OBSERVATION_WAIT_SECONDS = 10.0


def observe_takes_the_aggregate(spark_version: str) -> bool:
    """Whether ``Dataset.observe`` can carry the profile's aggregate on this Spark.

    Spark 3.5 sends a user aggregate's generated input projection back with each task's metrics,
    which cannot be serialized, and so fails the write itself (SPARK-50581, fixed in Spark 4.0.0).
    There the profile runs as its own pass after the writes instead.
    """
    return int(spark_version.split(".")[0]) >= 4


@dataclass(frozen=True)
class ProfileReport:
    """A profile: the JSON document (schema in docs/profile.md) and its HTML page."""

    document: dict[str, Any]
    html: str


class ProfileJob:
    """The runner's profile job: its one aggregate rides along the job's writes.

    :meth:`attach` wraps the target's frame before anything is written, so every statistic is
    observed while the outputs are written (no extra read of the data); calling the object
    afterwards turns the observed result into ``profile.json`` and ``profile.html``. Without
    :meth:`attach` (or when its observation did not complete) the aggregate runs as its own
    Spark job over the target.
    """

    def __init__(self, settings: ProfileSettings | None = None) -> None:
        self.settings = settings or ProfileSettings()
        self._aggregate: ProfileAggregate | None = None
        self._observation: Observation | None = None
        self._plain: DataFrame | None = None

    def attach(self, df: DataFrame, columns: Sequence[str]) -> DataFrame:
        """``df`` with the profile of ``columns`` observed (same columns as ``df``); ``df`` as it
        is where the Spark cannot observe it (:func:`observe_takes_the_aggregate`)."""
        if not observe_takes_the_aggregate(df.sparkSession.version):
            self._aggregate, self._observation, self._plain = None, None, df
            return df
        self._aggregate = profile_aggregate_for(df, self.settings, columns)
        self._observation = Observation(f"profile_{uuid.uuid4().hex}")
        self._plain = df
        return self._aggregate.observe(df, self._observation)

    def observed(self, wait_seconds: float = OBSERVATION_WAIT_SECONDS) -> dict[str, Any] | None:
        """The observed result, or None when no write ran the observed plan."""
        observation = self._observation
        jo = getattr(observation, "_jo", None)
        if observation is None or jo is None:
            return None
        deadline = time.monotonic() + wait_seconds
        while not jo.future().isCompleted() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not jo.future().isCompleted():
            return None
        values = observation.get
        if not values or self._aggregate is None or self._plain is None:
            return None
        return self._aggregate.read(self._plain.sparkSession, dict(values))

    def __call__(
        self,
        spark: SparkSession,
        df: DataFrame,
        *,
        title: str,
        description: str = "profile",
        cached: bool = False,
    ) -> ProfileReport:
        observed = self.observed()
        if observed is None and self._plain is not None and not cached:
            # the aggregate runs on its own: over the target without the observed metric in its
            # plan (a cached target is read as it is; reading the cache runs no metric again)
            df = self._plain.select(*[quoted(c) for c in df.columns])
        return run_profile(
            spark,
            df,
            self.settings,
            title=title,
            description=description,
            aggregate=self._aggregate if observed is not None else None,
            observed=observed,
        )


def run_profile(
    spark: SparkSession,
    df: DataFrame,
    settings: ProfileSettings | None = None,
    *,
    title: str = "Profile",
    description: str = "profile",
    aggregate: ProfileAggregate | None = None,
    observed: dict[str, Any] | None = None,
) -> ProfileReport:
    """Profile ``df``: its JSON document and the HTML page titled ``title`` (``description``
    names the profile's Spark jobs in the UI)."""
    profile = profile_dataframe(
        df, settings, description=description, aggregate=aggregate, observed=observed
    )
    return ProfileReport(profile, render_html(profile, title=title))

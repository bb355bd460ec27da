"""Replication lag from a PromQL query (``ReplicationLagSource``), e.g. postgres_exporter's
``pg_replication_lag_seconds``: the largest value the query returns, through
prometheus-api-client as the ``promql`` signal reads it.

An instant query's samples carry the time Prometheus evaluated it, and Prometheus leaves out
a series it has not scraped within its staleness window (five minutes unless configured
otherwise): a reading is as fresh as that window, and ``lookback`` cannot make it fresher.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from engine.adapters.prometheus.client import (
    PrometheusRefused,
    QueryFailed,
    instant_query,
    is_sample_pair,
)
from engine.cloud_ports import ReplicaLag
from engine.errors import CloudRejected, CloudUnavailable
from engine.text import shown_url

QUERY_REFUSED: Final = frozenset({400, 422})
"""Prometheus's answers to a query it cannot run as written (bad_data, execution)."""


class PrometheusReplicaLag:
    def __init__(self, url: str, query: str, *, timeout: float = 10.0) -> None:
        self._url = url.rstrip("/")
        self._query = query
        self._timeout = timeout

    def replica_lag(self, instance: str, lookback: timedelta) -> ReplicaLag | None:
        query = self._query.replace("{instance}", instance)
        try:
            result = instant_query(self._url, query, self._timeout)
        except PrometheusRefused as exc:
            if exc.status in QUERY_REFUSED:
                raise CloudRejected(f"Prometheus refused the lag query {query!r}: {exc}") from exc
            raise CloudUnavailable(f"lag query to {shown_url(self._url)}: {exc}") from exc
        except QueryFailed as exc:
            raise CloudUnavailable(str(exc)) from exc
        oldest = datetime.now(UTC) - lookback
        best: ReplicaLag | None = None
        for at, value in _samples(result):
            seconds = _number(value)
            when = datetime.fromtimestamp(at, UTC)
            if seconds is None or when < oldest:
                continue
            if best is None or seconds > best.seconds:
                best = ReplicaLag(seconds, when)
        return best

    def close(self) -> None:
        """Nothing to release: every query has a session of its own."""


def _samples(result: Any) -> list[tuple[float, Any]]:
    """(evaluation time, raw value) of each series of a vector, or of a scalar."""
    if is_sample_pair(result):
        return [(float(result[0]), result[1])]
    if not isinstance(result, list):
        raise CloudUnavailable(
            "Prometheus answered the lag query with neither a vector nor a scalar"
        )
    return [
        (float(item["value"][0]), item["value"][1])
        for item in result
        if isinstance(item, dict) and is_sample_pair(item.get("value"))
    ]


def _number(raw: Any) -> float | None:
    """A finite number, or ``None``: a NaN or an infinity says nothing about the lag."""
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None

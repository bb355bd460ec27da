"""Replication lag from a PromQL query (``ReplicationLagSource``), e.g. postgres_exporter's
``pg_replication_lag_seconds``: the query's largest value, read over Prometheus's HTTP API."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from engine.adapters.http.errors import public_url
from engine.cloud_ports import ReplicaLag
from engine.errors import CloudRejected, CloudUnavailable


class PrometheusReplicaLag:
    def __init__(self, url: str, query: str, *, timeout: float = 10.0) -> None:
        self._url = url.rstrip("/")
        self._query = query
        self._timeout = timeout
        self._session = requests.Session()

    def replica_lag(self, instance: str, lookback: timedelta) -> ReplicaLag | None:
        query = self._query.replace("{instance}", instance)
        where = f"Prometheus {public_url(self._url)}"
        try:
            answer = self._session.get(
                f"{self._url}/api/v1/query", params={"query": query}, timeout=self._timeout
            )
        except requests.RequestException as exc:
            raise CloudUnavailable(f"cannot reach {where}: {type(exc).__name__}") from exc
        if answer.status_code == 400:
            raise CloudRejected(f"{where} refused the query {query!r}")
        if answer.status_code != 200:
            raise CloudUnavailable(f"{where} answered {answer.status_code}")
        data: Any = answer.json().get("data") or {}
        oldest = datetime.now(UTC) - lookback
        best: ReplicaLag | None = None
        for series in data.get("result") or []:
            at, value = series.get("value") or (0, "nan")
            seconds = float(value)
            when = datetime.fromtimestamp(float(at), UTC)
            if math.isnan(seconds) or when < oldest:
                continue
            if best is None or seconds > best.seconds:
                best = ReplicaLag(seconds, when)
        return best

    def close(self) -> None:
        self._session.close()

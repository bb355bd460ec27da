"""The ``promql`` signal kind: one PromQL instant query, reduced to a number, judged by
thresholds.

The query runs in a worker thread (``client.instant_query`` is synchronous) with its own
connect and read timeouts and no retries: the thread ends close to the signal's timeout even
when the evaluation has stopped waiting for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Final

from engine.adapters.prometheus.client import (
    REASON_LIMIT,
    NotPrometheus,
    PrometheusRefused,
    QueryFailed,
    QueryTimedOut,
    instant_query,
    is_sample_pair,
)
from engine.adapters.single_signal import SingleSignalSource
from engine.config import PromqlSignal, status_from_thresholds
from engine.errors import BadAnswer, ProbeTimeout, SignalError
from engine.model import Reading
from engine.text import clip, shown_url

_REDUCERS: Final[dict[str, Callable[[Sequence[float]], float]]] = {
    "max": max,
    "min": min,
    "sum": math.fsum,
    "avg": lambda values: math.fsum(values) / len(values),
}


class PrometheusQuery(SingleSignalSource[PromqlSignal]):
    """The ``SignalSource`` of one ``promql`` signal."""

    async def collect(self) -> list[Reading]:
        signal = self._signal
        try:
            result = await self._in_thread(
                self._query,
                f"query to {shown_url(signal.prometheus.url)} timed out after {self._timeout:g}s",
            )
            value, detail = reduce_result(result, signal.reduce)
        except SignalError as exc:
            return self._unknown(str(exc))
        status = status_from_thresholds(value, signal.thresholds)
        return [Reading(signal.name, status, value, detail, signal.vantage, self._clock.now())]

    def _query(self) -> Any:
        try:
            return instant_query(self._signal.prometheus.url, self._signal.query, self._timeout)
        except QueryTimedOut as exc:
            raise ProbeTimeout(str(exc)) from exc
        except (PrometheusRefused, NotPrometheus) as exc:
            raise BadAnswer(str(exc)) from exc
        except QueryFailed as exc:
            raise SignalError(str(exc)) from exc


def reduce_result(result: Any, how: str) -> tuple[float, str]:
    """The query result's samples reduced to one value with ``how``, and a detail line.

    Raises ``BadAnswer`` when there is no sample, or a sample is not a finite number: a NaN
    or an infinity says the query cannot tell, never that all is well.
    """
    samples = samples_of(result)
    if not samples:
        raise BadAnswer("query returned no samples")
    values: list[float] = []
    for series, raw in samples:
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise BadAnswer(
                clip(f"sample of {series} is not a number: {raw!r}", REASON_LIMIT)
            ) from None
        if not math.isfinite(number):
            raise BadAnswer(clip(f"sample of {series} is {raw}", REASON_LIMIT)) from None
        values.append(number)
    value = _REDUCERS[how](values)
    if len(values) == 1:
        return value, f"{value:g} ({samples[0][0]})"
    return value, f"{how} of {len(values)} series: {value:g}"


def samples_of(result: Any) -> list[tuple[str, Any]]:
    """(series, raw value) pairs from an instant query's ``data.result``, whatever its type:
    a vector, a matrix (its last value per series), a scalar or a string."""
    if is_sample_pair(result):
        return [("scalar", result[1])]
    if not isinstance(result, list):
        raise BadAnswer("query result is neither a vector, a matrix nor a scalar")
    samples: list[tuple[str, Any]] = []
    for item in result:
        if not isinstance(item, dict):
            raise BadAnswer("query result holds something that is not a series")
        series = _series_name(item.get("metric"))
        if is_sample_pair(item.get("value")):
            samples.append((series, item["value"][1]))
        elif isinstance(item.get("values"), list) and item["values"]:
            last = item["values"][-1]
            if not is_sample_pair(last):
                raise BadAnswer(f"series {series} holds a malformed sample")
            samples.append((series, last[1]))
        elif item.get("values") != []:
            raise BadAnswer(f"series {series} holds no sample")
    return samples


def _series_name(metric: Any) -> str:
    if not isinstance(metric, dict) or not metric:
        return "{}"
    labels = dict(metric)
    name = str(labels.pop("__name__", ""))
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return clip(f"{name}{{{inner}}}", 80)

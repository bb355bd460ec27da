"""The ``promql`` signal kind: one PromQL instant query, reduced to a number, judged by
thresholds.

prometheus-api-client is synchronous (requests), so the query runs in a worker thread with
its own connect and read timeouts and no retries: the thread ends close to the signal's
timeout even when the evaluation has stopped waiting for it.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import requests
from prometheus_api_client.exceptions import PrometheusApiClientException
from prometheus_api_client.prometheus_connect import PrometheusConnect
from urllib3.util.retry import Retry

from engine.adapters.single_signal import SingleSignalSource
from engine.config import PromqlSignal, status_from_thresholds
from engine.errors import BadAnswer, ProbeTimeout, SignalError
from engine.model import Reading

REASON_LIMIT: Final = 200

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
                f"query to {_shown(signal.prometheus.url)} timed out after {self._timeout:g}s",
            )
            value, detail = reduce_result(result, signal.reduce)
        except SignalError as exc:
            return self._unknown(str(exc))
        status = status_from_thresholds(value, signal.thresholds)
        return [Reading(signal.name, status, value, detail, signal.vantage, self._clock.now())]

    def _query(self) -> Any:
        url = self._signal.prometheus.url
        shown = _shown(url)
        session = requests.Session()
        try:
            prometheus = PrometheusConnect(
                url=url,
                session=session,
                retry=Retry(total=0, raise_on_status=False),
                # Handed to requests as is: a (connect, read) pair, whatever the hint says.
                timeout=(self._timeout, self._timeout),  # type: ignore[arg-type]
            )
            return prometheus.custom_query(query=self._signal.query)
        except PrometheusApiClientException as exc:
            raise BadAnswer(_http_reason(str(exc))) from exc
        except requests.Timeout as exc:
            raise ProbeTimeout(f"query to {shown} timed out after {self._timeout:g}s") from exc
        except requests.ConnectionError as exc:
            raise SignalError(
                f"cannot reach Prometheus at {shown}: {_connection_reason(exc)}"
            ) from exc
        except requests.exceptions.JSONDecodeError as exc:
            raise BadAnswer(f"{shown} did not answer with JSON") from exc
        except requests.RequestException as exc:
            raise SignalError(_clip(f"query to {shown} failed: {exc}")) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise BadAnswer(f"{shown} did not answer like Prometheus") from exc
        finally:
            session.close()


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
            raise BadAnswer(_clip(f"sample of {series} is not a number: {raw!r}")) from None
        if not math.isfinite(number):
            raise BadAnswer(_clip(f"sample of {series} is {raw}")) from None
        values.append(number)
    value = _REDUCERS[how](values)
    if len(values) == 1:
        return value, f"{value:g} ({samples[0][0]})"
    return value, f"{how} of {len(values)} series: {value:g}"


def samples_of(result: Any) -> list[tuple[str, Any]]:
    """(series, raw value) pairs from an instant query's ``data.result``, whatever its type:
    a vector, a matrix (its last value per series), a scalar or a string."""
    if _is_sample_pair(result):
        return [("scalar", result[1])]
    if not isinstance(result, list):
        raise BadAnswer("query result is neither a vector, a matrix nor a scalar")
    samples: list[tuple[str, Any]] = []
    for item in result:
        if not isinstance(item, dict):
            raise BadAnswer("query result holds something that is not a series")
        series = _series_name(item.get("metric"))
        if _is_sample_pair(item.get("value")):
            samples.append((series, item["value"][1]))
        elif isinstance(item.get("values"), list) and item["values"]:
            last = item["values"][-1]
            if not _is_sample_pair(last):
                raise BadAnswer(f"series {series} holds a malformed sample")
            samples.append((series, last[1]))
        elif item.get("values") != []:
            raise BadAnswer(f"series {series} holds no sample")
    return samples


def _is_sample_pair(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], int | float)
        and not isinstance(value[0], bool)
    )


def _series_name(metric: Any) -> str:
    if not isinstance(metric, dict) or not metric:
        return "{}"
    labels = dict(metric)
    name = str(labels.pop("__name__", ""))
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return _clip(f"{name}{{{inner}}}", 80)


def _http_reason(message: str) -> str:
    # prometheus-api-client says "HTTP Status Code 400 (b'{...}')": the body's repr, whose
    # "error" field holds Prometheus's own reason.
    code = re.search(r"HTTP Status Code (\d+)", message)
    reason = f"Prometheus answered HTTP {code.group(1) if code else '?'}"
    body = re.search(r"\((b(['\"]).*\2)\)\s*$", message, re.DOTALL)
    try:
        error = json.loads(ast.literal_eval(body.group(1)))["error"] if body else None
    except (ValueError, SyntaxError, TypeError, KeyError):
        error = None
    if isinstance(error, str) and error:
        reason += f": {error}"
    return _clip(reason)


def _connection_reason(exc: requests.ConnectionError) -> str:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ConnectionResetError):
            return "connection reset"
        current = current.__cause__ or current.__context__
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "host name not resolved"
    return _clip(text, 120)


def _shown(url: str) -> str:
    """The URL without a user or password, fit for a detail line."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _clip(text: str, limit: int = REASON_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""One PromQL instant query through prometheus-api-client, its failures sorted by kind.

prometheus-api-client is synchronous (requests): each query gets its own session, connect and
read timeouts and no retries, so that the caller's own timeout and retry policy hold. Every
failure is a ``QueryFailed`` whose message names Prometheus by its URL without credentials;
callers map the kinds onto their own errors (a signal's reading, a stage's verdict).
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any, Final

import requests
from prometheus_api_client.exceptions import PrometheusApiClientException
from prometheus_api_client.prometheus_connect import PrometheusConnect
from urllib3.util.retry import Retry

from engine.text import clip, shown_url

REASON_LIMIT: Final = 200


class QueryFailed(Exception):
    """The query produced no result; the message is a sentence fit for a person."""


class PrometheusRefused(QueryFailed):
    """Prometheus answered with an HTTP error: 400 or 422 for a query it cannot run, 503 when
    it timed out or was aborted (its HTTP API's documented codes)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


class QueryTimedOut(QueryFailed):
    """No answer within the timeout."""


class PrometheusUnreachable(QueryFailed):
    """No connection, or the request failed on the way."""


class NotPrometheus(QueryFailed):
    """Something answered, but not with Prometheus's JSON."""


def instant_query(url: str, query: str, timeout: float) -> Any:
    """``data.result`` of an instant query: a vector, a matrix, a scalar or a string."""
    shown = shown_url(url)
    session = requests.Session()
    try:
        prometheus = PrometheusConnect(
            url=url,
            session=session,
            retry=Retry(total=0, raise_on_status=False),
            # Handed to requests as is: a (connect, read) pair, whatever the hint says.
            timeout=(timeout, timeout),  # type: ignore[arg-type]
        )
        return prometheus.custom_query(query=query)
    except PrometheusApiClientException as exc:
        status, reason = _http_reason(str(exc))
        raise PrometheusRefused(status, reason) from exc
    except requests.Timeout as exc:
        raise QueryTimedOut(f"query to {shown} timed out after {timeout:g}s") from exc
    except requests.ConnectionError as exc:
        raise PrometheusUnreachable(
            f"cannot reach Prometheus at {shown}: {_connection_reason(exc)}"
        ) from exc
    except requests.exceptions.JSONDecodeError as exc:
        raise NotPrometheus(f"{shown} did not answer with JSON") from exc
    except requests.RequestException as exc:
        raise PrometheusUnreachable(clip(f"query to {shown} failed: {exc}", REASON_LIMIT)) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise NotPrometheus(f"{shown} did not answer like Prometheus") from exc
    finally:
        session.close()


def is_sample_pair(value: Any) -> bool:
    """``[time, "value"]``, as Prometheus writes one sample."""
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], int | float)
        and not isinstance(value[0], bool)
    )


def _http_reason(message: str) -> tuple[int | None, str]:
    # prometheus-api-client says "HTTP Status Code 400 (b'{...}')": the body's repr, whose
    # "error" field holds Prometheus's own reason.
    code = re.search(r"HTTP Status Code (\d+)", message)
    status = int(code.group(1)) if code else None
    reason = f"Prometheus answered HTTP {status if status is not None else '?'}"
    body = re.search(r"\((b(['\"]).*\2)\)\s*$", message, re.DOTALL)
    try:
        error = json.loads(ast.literal_eval(body.group(1)))["error"] if body else None
    except (ValueError, SyntaxError, TypeError, KeyError):
        error = None
    if isinstance(error, str) and error:
        reason += f": {error}"
    return status, clip(reason, REASON_LIMIT)


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
    return clip(text, 120)

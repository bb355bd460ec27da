"""httpx answers and errors become ours at the webhook and Jenkins adapters' boundary."""

from __future__ import annotations

import httpx

from engine.errors import (
    CloudAccessDenied,
    CloudNotFound,
    CloudRejected,
    CloudUnavailable,
    StageError,
)


def status_error(response: httpx.Response, *, resource: str, action: str) -> StageError | None:
    """Our error for a non-2xx answer (``None`` for a 2xx)."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    said = f"{status} {response.reason_phrase}".strip()
    if status in (401, 403):
        return CloudAccessDenied(
            f"{resource} refused {action} ({said})", resource=resource, action=action
        )
    if status == 404:
        return CloudNotFound(f"{resource} does not exist ({said})", resource=resource)
    if status in (408, 425, 429) or status >= 500:
        return CloudUnavailable(f"{resource} answered {said} to {action}")
    return CloudRejected(f"{resource} refused {action}: {said}")


def transport_error(exc: httpx.HTTPError, *, resource: str) -> StageError:
    if isinstance(exc, httpx.TimeoutException):
        return CloudUnavailable(f"{resource} did not answer in time")
    return CloudUnavailable(f"cannot reach {resource}: {type(exc).__name__}")

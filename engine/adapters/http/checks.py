"""One-shot HTTP requests (``HttpChecks``) through httpx: the ``verify`` stage's GETs, the
readiness sweep's look at the webhook."""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from engine.stages.ports import HttpAnswer
from engine.text import shown_url


class HttpxChecks:
    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(transport=transport, follow_redirects=True)

    def get(self, url: str, timeout: float) -> HttpAnswer:
        return self.request("GET", url, timeout)

    def request(
        self, method: str, url: str, timeout: float, headers: Mapping[str, str] | None = None
    ) -> HttpAnswer:
        started = time.monotonic()
        try:
            response = self._http.request(method, url, timeout=timeout, headers=headers)
        except httpx.HTTPError as exc:
            return HttpAnswer(shown_url(url), None, time.monotonic() - started, type(exc).__name__)
        return HttpAnswer(shown_url(url), response.status_code, time.monotonic() - started)

    def close(self) -> None:
        self._http.close()

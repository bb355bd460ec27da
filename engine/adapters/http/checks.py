"""One-shot HTTP GETs for the ``verify`` stage (``HttpChecks``), through httpx."""

from __future__ import annotations

import time

import httpx

from engine.adapters.http.errors import public_url
from engine.stages.ports import HttpAnswer


class HttpxChecks:
    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(transport=transport, follow_redirects=True)

    def get(self, url: str, timeout: float) -> HttpAnswer:
        started = time.monotonic()
        try:
            response = self._http.get(url, timeout=timeout)
        except httpx.HTTPError as exc:
            return HttpAnswer(public_url(url), None, time.monotonic() - started, type(exc).__name__)
        return HttpAnswer(public_url(url), response.status_code, time.monotonic() - started)

    def close(self) -> None:
        self._http.close()

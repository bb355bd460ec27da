"""A scripted network for the http probes, behind the seam the sockets implement
(``engine.adapters.http.network``).

Each probe's bytes are parsed by h11, as an HTTP/1.1 server parses them (a malformed request
fails the test), and handed to a handler as an ``httpx.Request``; the handler answers with an
``httpx.Response``, whose status is what the probe reads, or fails as the far end would:
raising ``OSError`` as the socket call does, ``TimeoutError``, or ``ProbeFailed``. An async
handler may take its time or block the loop, as a starved process would.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import h11
import httpx

from engine.adapters.http.network import Origin

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class ScriptedNetwork:
    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.closed = False

    async def exchange(self, origin: Origin, request: bytes) -> int:
        answer = self._handler(parsed(origin, request))
        if inspect.isawaitable(answer):
            answer = await answer
        return answer.status_code

    async def aclose(self) -> None:
        self.closed = True


def parsed(origin: Origin, request: bytes) -> httpx.Request:
    """``request`` as a server reads it: one complete GET or HEAD, nothing after it."""
    server = h11.Connection(h11.SERVER)
    server.receive_data(request)
    head = server.next_event()
    assert isinstance(head, h11.Request), head
    assert isinstance(server.next_event(), h11.EndOfMessage)
    assert server.next_event() is h11.NEED_DATA, "bytes after the request"
    headers = [(name.decode(), value.decode()) for name, value in head.headers]
    host = dict(headers)["host"]
    scheme = "https" if origin.tls else "http"
    url = f"{scheme}://{host}{head.target.decode()}"
    return httpx.Request(head.method.decode(), url, headers=headers)

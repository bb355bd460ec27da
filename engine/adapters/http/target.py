"""One target of an http signal as planned once per process: where its probe connects, how
its request starts, what its signal expects of the answer, and the name details give it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from engine.adapters.http.network import Origin
from engine.adapters.http.verdict import Expectation
from engine.adapters.http.wire import RequestStart, is_address, request_start
from engine.config import HttpSignal
from engine.text import shown_url


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    signal: int
    """Where its signal stands among the source's signals."""
    label: str
    """``GET http://host/path``: what is probed, without credentials or query."""
    origin: Origin
    start: RequestStart
    expect: Expectation


def plan_targets(signals: Sequence[HttpSignal]) -> list[ProbeTarget]:
    """Every target of every signal, in the signals' order."""
    planned: list[ProbeTarget] = []
    for index, signal in enumerate(signals):
        expect = Expectation.of(signal)
        for target in signal.targets:
            url = httpx.URL(target)
            tls = url.scheme == "https"
            origin = Origin(url.host, url.port or (443 if tls else 80), tls, is_address(url.host))
            label = f"{signal.method} {shown_url(target)}"
            start = request_start(signal.method, url)
            planned.append(ProbeTarget(index, label, origin, start, expect))
    return planned

"""The ``http`` signal kind as a signal source: which targets to probe, with which headers
and bearer tokens, and the readings one collection makes of them.

One ``HttpProbes`` source serves every http signal of a configuration. Each ``collect()``
probes every target of all of them concurrently over one network (``network``: sockets in the
bot, the sandbox's simulated network there), paced by ``pacing`` and judged by ``verdict``.
Requests are bytes made once (``wire``): each target's request line when the source is
built, each signal's header lines once, again only when they change, as a rotated bearer
token does. A signal whose bearer token cannot be resolved is not probed at all: it reads
``unknown``, and its targets are never sent a request without their token.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Final

import httpx

from engine.adapters.http.network import ProbeNetwork
from engine.adapters.http.pacing import evaluation_time, in_flight_limit, probe_all
from engine.adapters.http.target import ProbeTarget, plan_targets
from engine.adapters.http.verdict import TargetResult, fold, unprobed
from engine.adapters.http.wire import SocketNetwork, Tail, tail_of
from engine.adapters.single_signal import DEADLINE_SLACK
from engine.config import HttpSignal
from engine.errors import SecretError
from engine.model import Reading
from engine.ports import Clock
from engine.text import clip

TOKEN_TIME: Final = 2.0
"""Seconds an evaluation allows for resolving bearer tokens before its probes start: a read
from a cloud secret store whose cached value has expired, with its client made on first use,
takes from a tenth of a second to about one on a busy host."""


class HttpProbes:
    """The ``SignalSource`` of every ``http`` signal.

    ``secrets`` resolves a signal's ``bearer_token`` reference (``env:VAR``, a Secrets Manager
    ARN, a Key Vault URI) at each collection; the bot's resolver keeps a cloud secret's value
    for a few minutes, so that is not a cloud call per evaluation. The token goes into the
    Authorization header and nowhere else.
    ``network_factory`` makes the network of one collection (default: sockets, ``wire``).
    ``max_in_flight`` caps concurrent probes (default: what the open-files limit allows);
    past it a probe waits, and its timeout starts only when it is sent.
    """

    def __init__(
        self,
        signals: Sequence[HttpSignal],
        clock: Clock,
        *,
        secrets: Callable[[str], str] | None = None,
        network_factory: Callable[[], ProbeNetwork] | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        if not signals:
            raise ValueError("HttpProbes needs at least one http signal")
        self._signals = tuple(signals)
        self._clock = clock
        self._secrets = secrets
        self._network_factory = network_factory or self._sockets
        self._max_in_flight = max_in_flight
        self._targets = plan_targets(self._signals)
        self._tls = any(t.origin.tls for t in self._targets)
        self._ssl_context: ssl.SSLContext | None = None
        # Header lines per signal, keyed by the headers they encode; those that need no
        # bearer token are known now, and every evaluation reuses them.
        self._tails: dict[int, tuple[tuple[tuple[str, str], ...], Tail]] = {
            index: (tuple(signal.headers.items()), tail_of(dict(signal.headers)))
            for index, signal in enumerate(self._signals)
            if signal.bearer_token is None
        }

    @property
    def signals(self) -> Sequence[str]:
        return [signal.name for signal in self._signals]

    @property
    def deadline(self) -> float:
        longest = max(t.expect.timeout for t in self._targets)
        probing = evaluation_time(len(self._targets), self._in_flight(), longest)
        tokens = TOKEN_TIME if any(s.bearer_token for s in self._signals) else 0.0
        return tokens + probing + DEADLINE_SLACK

    async def collect(self) -> list[Reading]:
        finish_by = time.monotonic() + self.deadline - DEADLINE_SLACK / 2
        headers, problems = await self._headers()
        tails = {index: self._tail(index, wanted) for index, wanted in headers.items()}
        per_signal: dict[int, list[TargetResult]] = {index: [] for index in tails}
        requests: list[tuple[ProbeTarget, bytes]] = []
        for target in self._targets:
            tail = tails.get(target.signal)
            if tail is None:
                continue
            if tail.error:
                per_signal[target.signal].append(unprobed(target.label, tail.error))
            else:
                requests.append((target, tail.after(target.start)))
        network = self._network_factory()
        try:
            results = await probe_all(network, requests, self._in_flight(), finish_by)
        finally:
            await network.aclose()
        for (target, _request), result in zip(requests, results, strict=True):
            per_signal[target.signal].append(result)
        now = self._clock.now()
        return [
            Reading.unknown(signal.name, signal.vantage, problems[index], now)
            if index in problems
            else fold(signal, per_signal[index], now)
            for index, signal in enumerate(self._signals)
        ]

    def _in_flight(self) -> int:
        # The open-files limit is read at each evaluation: the process may raise it after
        # this source is built.
        return in_flight_limit(len(self._targets), self._max_in_flight)

    def _sockets(self) -> ProbeNetwork:
        if self._tls and self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return SocketNetwork(self._ssl_context)

    def _tail(self, index: int, headers: dict[str, str]) -> Tail:
        key = tuple(headers.items())
        cached = self._tails.get(index)
        if cached is None or cached[0] != key:
            cached = (key, tail_of(headers))
            self._tails[index] = cached
        return cached[1]

    async def _headers(self) -> tuple[dict[int, dict[str, str]], dict[int, str]]:
        """Each signal's request headers, and why a signal cannot be probed at all."""
        refs = sorted({s.bearer_token for s in self._signals if s.bearer_token})
        tokens: dict[str, str] = {}
        failures: dict[str, str] = {}
        if refs and self._secrets is None:
            failures = dict.fromkeys(refs, "no secret resolver is configured")
        elif refs and self._secrets is not None:
            resolve = self._secrets
            answers = await asyncio.gather(
                *(asyncio.to_thread(resolve, ref) for ref in refs), return_exceptions=True
            )
            for ref, answer in zip(refs, answers, strict=True):
                if isinstance(answer, str) and answer:
                    tokens[ref] = answer
                elif isinstance(answer, SecretError):
                    failures[ref] = str(answer)
                else:
                    # Any other error text might quote the secret: name only its type.
                    failures[ref] = f"the resolver failed ({type(answer).__name__})"
        headers: dict[int, dict[str, str]] = {}
        problems: dict[int, str] = {}
        for index, signal in enumerate(self._signals):
            wanted = signal.bearer_token
            if wanted is not None and wanted not in tokens:
                reason = f"bearer token {wanted} could not be resolved: {failures[wanted]}"
                problems[index] = clip(reason)
                continue
            headers[index] = dict(signal.headers)
            if wanted is not None:
                headers[index]["Authorization"] = f"Bearer {tokens[wanted]}"
        return headers, problems

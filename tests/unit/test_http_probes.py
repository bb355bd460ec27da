"""The http signal's folding of targets, its secrets and its limits, with a scripted network
behind the seam the sockets implement (the far end is real in tests/integration)."""

from __future__ import annotations

import asyncio
import errno
import time
from typing import Any

import httpx
import pytest

from engine.adapters.http.network import ProbeFailed
from engine.adapters.http.pacing import LoopLag
from engine.adapters.http.probes import HttpProbes
from engine.adapters.http.verdict import Outcome, TargetResult, fold
from engine.config import HttpSignal
from engine.errors import SecretError
from engine.model import Reading, Status
from tests.support.clock import T0, ManualClock
from tests.support.probe_network import Handler, ScriptedNetwork


def http_signal(*targets: str, name: str = "svc", **fields: Any) -> HttpSignal:
    return HttpSignal.model_validate(
        {"name": name, "kind": "http", "targets": list(targets), **fields}
    )


def collect(signals: list[HttpSignal], handler: Handler, **options: Any) -> list[Reading]:
    source = HttpProbes(
        signals, ManualClock(), network_factory=lambda: ScriptedNetwork(handler), **options
    )
    return asyncio.run(source.collect())


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200)


# ----------------------------------------------------------------------------- folding


def result(outcome: Outcome, reason: str = "", target: str = "GET http://x/health") -> TargetResult:
    return TargetResult(target, outcome, reason, 0.01)


def test_all_ok_is_ok_with_value_zero() -> None:
    reading = fold(http_signal("http://x/a"), [result(Outcome.OK)] * 3, T0)
    assert (reading.status, reading.value) == (Status.OK, 0.0)
    assert reading.detail == "3 of 3 targets ok, slowest 0.01s"


def test_the_value_is_the_share_failing_and_slow_alone_is_degraded() -> None:
    signal = http_signal("http://x/a")
    slow = fold(signal, [result(Outcome.OK), result(Outcome.SLOW, "slow: 2.00s, over 1s")], T0)
    assert (slow.status, slow.value) == (Status.DEGRADED, 0.0)
    half = fold(signal, [result(Outcome.OK), result(Outcome.FAILED, "HTTP 503")], T0)
    assert (half.status, half.value) == (Status.DEGRADED, 0.5)
    down = fold(signal, [result(Outcome.FAILED, "HTTP 503")] * 2, T0)
    assert (down.status, down.value) == (Status.DOWN, 1.0)


def test_a_target_that_could_not_be_probed_makes_the_signal_unknown_never_down() -> None:
    reading = fold(
        http_signal("http://x/a"),
        [result(Outcome.FAILED, "HTTP 503"), result(Outcome.UNPROBED, "no socket available")],
        T0,
    )
    assert reading.status == Status.UNKNOWN
    assert reading.value is None
    assert reading.detail == "could not probe 1 of 2 targets: no socket available"


def test_the_detail_is_capped() -> None:
    failures = [
        result(Outcome.FAILED, "connection refused", f"GET http://host-{i}.example/health")
        for i in range(50)
    ]
    reading = fold(http_signal("http://x/a"), failures, T0)
    assert len(reading.detail) <= 300
    assert reading.detail.startswith("50 of 50 failing: GET http://host-0.example/health")
    assert reading.detail.endswith("…")


# ----------------------------------------------------------------------------- probing


def test_every_target_of_every_signal_is_probed_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(503 if request.url.path == "/ready" else 200)

    signals = [
        http_signal("http://a/health", "http://a/ready", "http://a/live", name="a"),
        http_signal("http://b/health", name="b"),
    ]
    readings = collect(signals, handler)
    assert sorted(seen) == sorted(
        ["http://a/health", "http://a/ready", "http://a/live", "http://b/health"]
    )
    assert [(r.signal, r.status) for r in readings] == [
        ("a", Status.DEGRADED),
        ("b", Status.OK),
    ]
    assert readings[0].detail == "1 of 3 failing: GET http://a/ready: HTTP 503"
    assert all(r.observed_at == T0 for r in readings)


def test_redirects_are_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://login.example/"})

    (reading,) = collect([http_signal("http://a/health", expect_status=[200])], handler)
    assert reading.detail.endswith("HTTP 302")


def test_a_local_lack_of_sockets_is_unknown() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/ready":
            raise OSError(errno.EMFILE, "Too many open files")  # as socket() raises it
        return httpx.Response(200)

    (reading,) = collect([http_signal("http://a/health", "http://a/ready")], handler)
    assert reading.status == Status.UNKNOWN
    assert reading.detail == (
        "could not probe 1 of 2 targets: no socket available here (Too many open files)"
    )


def test_what_a_network_raises_is_judged_as_the_seam_documents() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == "unknown":
            raise ProbeFailed("unknown: name not known")
        if host == "cut":
            raise TimeoutError("connect timeout: no route")
        if host == "refused":
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
        raise ValueError("a bug of ours")

    signals = [
        http_signal(f"http://{host}/health", name=host, timeout="2s")
        for host in ("unknown", "cut", "refused", "buggy")
    ]
    unknown, cut, refused, buggy = collect(signals, handler)
    assert unknown.detail == "1 of 1 failing: GET http://unknown/health: unknown: name not known"
    assert cut.detail == "1 of 1 failing: GET http://cut/health: timed out after 2s"
    assert refused.detail == "1 of 1 failing: GET http://refused/health: connection refused"
    assert {unknown.status, cut.status, refused.status} == {Status.DOWN}
    assert buggy.status == Status.UNKNOWN, "our own fault is never the service's outage"
    assert buggy.detail == "could not probe 1 of 1 targets: ValueError: a bug of ours"


def test_each_collection_opens_one_network_and_closes_it() -> None:
    opened: list[ScriptedNetwork] = []

    def network() -> ScriptedNetwork:
        opened.append(ScriptedNetwork(ok))
        return opened[-1]

    signals = [http_signal("http://a/health", "http://a/ready", name="a"), http_signal("http://b/")]
    source = HttpProbes(signals, ManualClock(), network_factory=network)
    for _ in range(2):
        asyncio.run(source.collect())
    assert len(opened) == 2
    assert all(network.closed for network in opened)


def test_the_bearer_token_goes_in_the_header_and_nowhere_else() -> None:
    token = "tok-3f9a1c"
    authorizations: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        authorizations.append(request.headers.get("Authorization"))
        return httpx.Response(401, text=f"bad token {token}")

    calls: list[str] = []

    def secrets(ref: str) -> str:
        calls.append(ref)
        return token

    signals = [
        http_signal("http://a/health", "http://a/ready", name="a", bearer_token="env:TOKEN"),
        http_signal("http://b/health", name="b", bearer_token="env:TOKEN"),
    ]
    readings = collect(signals, handler, secrets=secrets)
    assert calls == ["env:TOKEN"]  # resolved once per collection
    assert authorizations == [f"Bearer {token}"] * 3
    assert all(r.status == Status.DOWN for r in readings)
    assert all(token not in r.detail for r in readings)


def test_a_slow_token_read_leaves_the_probes_their_full_timeout() -> None:
    def slow_store(ref: str) -> str:
        time.sleep(0.8)  # a first read from a cloud secret store, on a busy host
        return "tok"

    signals = [http_signal("http://a/health", name="a", bearer_token="env:TOKEN", timeout="1s")]
    source = HttpProbes(
        signals, ManualClock(), secrets=slow_store, network_factory=lambda: ScriptedNetwork(ok)
    )
    assert source.deadline == pytest.approx(2.0 + 1.0 + 2 * 0.0005 + 1.0)
    (reading,) = asyncio.run(source.collect())
    assert reading.status == Status.OK, reading.detail


def test_a_secret_that_cannot_be_resolved_is_unknown_and_its_error_text_is_kept_out() -> None:
    def broken(ref: str) -> str:
        if ref == "env:GONE":
            raise SecretError("env:GONE is not set")
        raise ValueError("could not parse 'tok-leaked'")

    signals = [
        http_signal("http://a/health", name="a", bearer_token="env:GONE"),
        http_signal("http://b/health", name="b", bearer_token="env:ODD"),
        http_signal("http://c/health", name="c"),
    ]
    a, b, c = collect(signals, ok, secrets=broken)
    assert a.status == Status.UNKNOWN
    assert a.detail == "bearer token env:GONE could not be resolved: env:GONE is not set"
    assert b.status == Status.UNKNOWN
    assert (
        b.detail == "bearer token env:ODD could not be resolved: the resolver failed (ValueError)"
    )
    assert c.status == Status.OK


def test_probes_in_flight_are_capped_and_the_deadline_allows_for_the_waves() -> None:
    in_flight = 0
    most = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200)

    signals = [
        http_signal(f"http://s{i}/a", f"http://s{i}/b", name=f"s{i}", timeout="1s")
        for i in range(3)
    ]
    source = HttpProbes(
        signals,
        ManualClock(),
        network_factory=lambda: ScriptedNetwork(handler),
        max_in_flight=2,
    )
    assert source.deadline == pytest.approx(3 * 1.0 + 2 * 6 * 0.0005 + 1.0)
    readings = asyncio.run(source.collect())
    assert most == 2
    assert {r.status for r in readings} == {Status.OK}


def test_a_source_needs_signals() -> None:
    with pytest.raises(ValueError, match="at least one"):
        HttpProbes([], ManualClock())


# ----------------------------------------------------------------------------- our own stalls


def test_stalls_are_summed_over_a_window() -> None:
    lag = LoopLag()
    lag.record(at=10.0, late=0.5)  # the loop was stuck from 9.5 to 10.0
    lag.record(at=11.0, late=0.0)
    lag.record(at=12.0, late=1.0)  # stuck from 11.0 to 12.0
    assert lag.stalled(9.0, 13.0) == pytest.approx(1.5)
    assert lag.stalled(9.8, 11.5) == pytest.approx(0.2 + 0.5)
    assert lag.stalled(12.5, 13.0) == 0.0


def test_a_timeout_measured_while_this_process_stalled_is_not_a_failure() -> None:
    async def stalls_then_hangs(request: httpx.Request) -> httpx.Response:
        time.sleep(1.5)  # blocks the event loop, as CPU starvation would
        await asyncio.sleep(5)
        return httpx.Response(200)

    (reading,) = collect([http_signal("http://a/health", timeout="1s")], stalls_then_hangs)
    assert reading.status == Status.UNKNOWN
    assert "this process stalled for" in reading.detail
    assert "timing cannot be trusted" in reading.detail


def test_a_timeout_without_a_stall_is_a_failure() -> None:
    async def hangs(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    (reading,) = collect([http_signal("http://a/health", timeout="1s")], hangs)
    assert reading.status == Status.DOWN
    assert reading.detail == "1 of 1 failing: GET http://a/health: timed out after 1s"


def test_probes_that_could_no_longer_finish_in_time_are_not_started() -> None:
    async def stalls(request: httpx.Request) -> httpx.Response:
        time.sleep(0.5)  # each probe blocks the loop longer than its timeout
        await asyncio.sleep(5)
        return httpx.Response(200)

    signals = [http_signal(f"http://s{i}/health", name=f"s{i}", timeout="0.3s") for i in range(4)]
    readings = collect(signals, stalls, max_in_flight=1)
    assert {r.status for r in readings} == {Status.UNKNOWN}
    assert readings[-1].detail.startswith("could not probe 1 of 1 targets: not started: ")

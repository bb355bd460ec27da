"""The http signal kind against real servers on loopback: health endpoints that answer,
fail, hang, talk garbage, reset, refuse, or speak TLS; on asyncio's own event loop and on
uvloop, which the bot's evaluations run on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop

from engine.adapters.clock import SystemClock
from engine.adapters.http.network import ProbeNetwork
from engine.adapters.http.probes import HttpProbes
from engine.adapters.http.wire import SocketNetwork
from engine.config import HttpSignal
from engine.health.collect import Collector
from engine.model import Reading, Status, Vantage
from tests.support.ports import closed_port
from tests.support.tls import loopback_tls

from .conftest import ReadOne
from .servers import HealthServer, RawTcpServer

pytestmark = pytest.mark.integration

LoopFactory = Callable[[], asyncio.AbstractEventLoop] | None


@pytest.fixture(params=[None, uvloop.new_event_loop], ids=["asyncio", "uvloop"])
def loop_factory(request: pytest.FixtureRequest) -> LoopFactory:
    factory: LoopFactory = request.param
    return factory


@pytest.fixture
def read(loop_factory: LoopFactory) -> ReadOne:
    """Collect one source through the real Collector, on each event loop."""

    def read_one(source: HttpProbes) -> Reading:
        (name,) = source.signals
        collector = Collector(
            [source], {name: Vantage.INTERNAL}, SystemClock(), loop_factory=loop_factory
        )
        (reading,) = collector.collect()
        return reading

    return read_one


def http_signal(*targets: str, name: str = "svc", **fields: Any) -> HttpSignal:
    return HttpSignal.model_validate(
        {"name": name, "kind": "http", "targets": list(targets), "timeout": "2s", **fields}
    )


def probe(read: ReadOne, signal: HttpSignal, **options: Any) -> Reading:
    return read(HttpProbes([signal], SystemClock(), **options))


def test_all_targets_answering_is_ok(read: ReadOne, health_server: HealthServer) -> None:
    base = health_server.base
    reading = probe(read, http_signal(f"{base}/ok", f"{base}/ok?r=1", f"{base}/redirect"))
    assert reading.status == Status.OK
    assert reading.value == 0.0
    assert reading.detail.startswith("3 of 3 targets ok")


def test_one_failing_target_of_three_is_degraded(
    read: ReadOne, health_server: HealthServer
) -> None:
    base = health_server.base
    reading = probe(read, http_signal(f"{base}/ok", f"{base}/fail", f"{base}/ok?live"))
    assert reading.status == Status.DEGRADED
    assert reading.value == pytest.approx(1 / 3)
    assert reading.detail == f"1 of 3 failing: GET {base}/fail: HTTP 503"


def test_every_target_failing_is_down(read: ReadOne, health_server: HealthServer) -> None:
    base = health_server.base
    reading = probe(read, http_signal(f"{base}/fail", f"{base}/status/500"))
    assert reading.status == Status.DOWN
    assert reading.value == 1.0
    assert f"GET {base}/status/500: HTTP 500" in reading.detail


def test_a_target_slower_than_the_timeout_fails_and_the_probe_stops_there(
    read: ReadOne, health_server: HealthServer
) -> None:
    base = health_server.base
    signal = http_signal(f"{base}/ok", f"{base}/slow?s=5", timeout="1s")
    started = time.monotonic()
    reading = probe(read, signal)
    assert time.monotonic() - started < 4  # not the 5 s the server would take
    assert reading.status == Status.DEGRADED
    assert reading.detail == f"1 of 2 failing: GET {base}/slow?…: timed out after 1s"


def test_an_answer_past_slow_after_is_degraded_but_not_failing(
    read: ReadOne, health_server: HealthServer
) -> None:
    base = health_server.base
    signal = http_signal(f"{base}/ok", f"{base}/slow?s=1.5", slow_after="1s", timeout="3s")
    reading = probe(read, signal)
    assert reading.status == Status.DEGRADED
    assert reading.value == 0.0
    assert reading.detail.startswith(f"0 of 2 failing, 1 slow: GET {base}/slow?…: slow: ")
    assert reading.detail.endswith("s, over 1s")


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("garbage", "not an HTTP answer"),
        ("reset", "connection reset"),
        ("close", "connection closed without an answer"),
        ("huge", "answer headers too large"),
        ("badheader", "invalid HTTP header line"),
        ("badstatus", "invalid HTTP status line"),
    ],
)
def test_a_far_end_that_does_not_speak_http_fails_with_the_reason(
    read: ReadOne, raw_servers: dict[str, RawTcpServer], behaviour: str, reason: str
) -> None:
    target = f"{raw_servers[behaviour].base}/health"
    reading = probe(read, http_signal(target))
    assert reading.status == Status.DOWN
    assert reading.detail == f"1 of 1 failing: GET {target}: {reason}"


def test_an_interim_answer_is_skipped_for_the_real_one(
    read: ReadOne, raw_servers: dict[str, RawTcpServer]
) -> None:
    target = f"{raw_servers['interim'].base}/health"
    reading = probe(read, http_signal(target, expect_status=[204]))
    assert reading.status == Status.OK


def test_a_server_that_never_answers_times_out(
    read: ReadOne, raw_servers: dict[str, RawTcpServer]
) -> None:
    target = f"{raw_servers['silent'].base}/ready"
    reading = probe(read, http_signal(target, timeout="1s"))
    assert reading.status == Status.DOWN
    assert reading.detail.endswith(f"GET {target}: timed out after 1s")


def test_connection_refused_is_a_failing_target(read: ReadOne, health_server: HealthServer) -> None:
    with closed_port() as port:
        refused = f"http://127.0.0.1:{port}/live"
        reading = probe(read, http_signal(f"{health_server.base}/ok", refused))
    assert reading.status == Status.DEGRADED
    assert reading.detail == f"1 of 2 failing: GET {refused}: connection refused"


def test_an_unexpected_status_fails_even_if_it_is_a_success(
    read: ReadOne, health_server: HealthServer
) -> None:
    target = f"{health_server.base}/ok"
    reading = probe(read, http_signal(target, expect_status=[204]))
    assert reading.status == Status.DOWN
    assert reading.detail.endswith("HTTP 200")


def test_headers_and_the_bearer_token_are_sent_and_the_token_never_shows(
    read: ReadOne, health_server: HealthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = f"{health_server.base}/auth"
    signal = http_signal(target, headers={"X-Probe": "phoenix"}, bearer_token="env:PROBE_TOKEN")
    secrets = {"env:PROBE_TOKEN": health_server.expected_token}
    reading = probe(read, signal, secrets=secrets.__getitem__)
    assert reading.status == Status.OK
    seen = health_server.seen_headers["/auth"]
    assert seen["X-Probe"] == "phoenix"
    assert seen["Authorization"] == f"Bearer {health_server.expected_token}"
    assert seen["User-Agent"].startswith("cloudphoenix-probe")

    wrong = probe(read, signal, secrets=lambda ref: "not-the-token")
    assert wrong.status == Status.DOWN
    assert wrong.detail.endswith("HTTP 401")
    assert "not-the-token" not in wrong.detail


def test_a_rotated_bearer_token_is_sent_at_the_next_evaluation(
    read: ReadOne, health_server: HealthServer
) -> None:
    signal = http_signal(f"{health_server.base}/auth", bearer_token="env:PROBE_TOKEN")
    tokens = ["not-the-token", health_server.expected_token]
    source = HttpProbes([signal], SystemClock(), secrets=lambda ref: tokens[0])
    assert read(source).status == Status.DOWN
    tokens.pop(0)  # rotated between two evaluations of the same source
    assert read(source).status == Status.OK


def test_a_header_that_would_split_the_request_leaves_the_signal_unknown(
    read: ReadOne, health_server: HealthServer
) -> None:
    signal = http_signal(f"{health_server.base}/ok", headers={"X-Probe": "a\r\nX-Other: b"})
    reading = probe(read, signal)
    assert reading.status == Status.UNKNOWN
    assert reading.detail == (
        "could not probe 1 of 1 targets: LocalProtocolError: a request header is malformed"
    )


def test_a_bearer_token_that_cannot_be_resolved_is_unknown(
    read: ReadOne, health_server: HealthServer
) -> None:
    signal = http_signal(f"{health_server.base}/auth", bearer_token="env:MISSING_TOKEN")
    reading = probe(read, signal)
    assert reading.status == Status.UNKNOWN
    assert reading.detail == (
        "bearer token env:MISSING_TOKEN could not be resolved: no secret resolver is configured"
    )


def test_a_urls_query_never_reaches_the_detail(read: ReadOne, health_server: HealthServer) -> None:
    # (credentials written in a URL, user:password@, are refused by the config check)
    target = f"http://127.0.0.1:{health_server.port}/fail?key=abc"
    reading = probe(read, http_signal(target))
    assert reading.status == Status.DOWN
    assert "abc" not in reading.detail
    assert f"GET http://127.0.0.1:{health_server.port}/fail?…: HTTP 503" in reading.detail


def test_head_requests(read: ReadOne, health_server: HealthServer) -> None:
    reading = probe(read, http_signal(f"{health_server.base}/ok", method="HEAD"))
    assert reading.status == Status.OK
    assert health_server.seen_headers["/ok"]["Connection"] == "close"


# ----------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HealthServer, Path]]:
    tls = loopback_tls(tmp_path_factory.mktemp("tls"))
    server = HealthServer(tls=tls.server_context())
    yield server, tls.ca_file
    server.stop()


def test_an_untrusted_certificate_fails_the_target(
    read: ReadOne, tls_server: tuple[HealthServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _cert = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    reading = probe(read, http_signal(f"{server.base}/ok"))
    assert reading.status == Status.DOWN
    assert "TLS certificate rejected" in reading.detail


def test_a_trusted_certificate_is_probed_over_tls(
    read: ReadOne, tls_server: tuple[HealthServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # replaces the machine's bundle, never adds
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    base = server.base
    reading = probe(read, http_signal(f"{base}/ok", f"{base}/fail"))
    assert reading.status == Status.DEGRADED
    assert reading.detail == f"1 of 2 failing: GET {base}/fail: HTTP 503"


# ----------------------------------------------------------------------------- many at once


def test_many_signals_share_one_evaluation_within_about_the_timeout(
    health_server: HealthServer, raw_servers: dict[str, RawTcpServer], loop_factory: LoopFactory
) -> None:
    base = health_server.base
    signals = [
        http_signal(f"{base}/ok", f"{base}/ok?ready", f"{base}/ok?live", name=f"svc-{i}")
        for i in range(100)
    ]
    signals += [
        http_signal(f"{raw_servers['silent'].base}/health", name=f"stuck-{i}", timeout="1s")
        for i in range(10)
    ]
    source = HttpProbes(signals, SystemClock())
    vantages = {s.name: s.vantage for s in signals}
    collector = Collector([source], vantages, SystemClock(), loop_factory=loop_factory)
    started = time.monotonic()
    readings = collector.collect()
    elapsed = time.monotonic() - started
    by_name = {r.signal: r for r in readings}
    healthy = [by_name[f"svc-{i}"] for i in range(100)]
    # Never a false alarm. A probe this process could not time fairly (it was starved of
    # CPU, as a loaded test machine may be) reads unknown, and says so; never down.
    assert all(r.status in (Status.OK, Status.UNKNOWN) for r in healthy)
    unknown = [r for r in healthy if r.status is Status.UNKNOWN]
    assert all("stalled" in r.detail for r in unknown), [r.detail for r in unknown]
    assert len(unknown) <= 10
    stuck = [by_name[f"stuck-{i}"] for i in range(10)]
    assert all(
        r.status is Status.DOWN or (r.status is Status.UNKNOWN and "stalled" in r.detail)
        for r in stuck
    )
    assert sum(r.status is Status.DOWN for r in stuck) >= 5
    assert elapsed < 5  # one wave: about the longest timeout, not one per signal


def test_one_network_for_every_signal_of_an_evaluation(health_server: HealthServer) -> None:
    """Whatever network carries the probes, one collection opens it once."""
    opened: list[ProbeNetwork] = []

    def factory() -> ProbeNetwork:
        network = SocketNetwork(None)
        opened.append(network)
        return network

    base = health_server.base
    signals = [http_signal(f"{base}/ok", f"{base}/fail", name=f"s{i}") for i in range(5)]
    source = HttpProbes(signals, SystemClock(), network_factory=factory)
    readings = Collector([source], {s.name: s.vantage for s in signals}, SystemClock()).collect()
    assert len(opened) == 1
    assert {r.status for r in readings} == {Status.DEGRADED}


def test_every_failing_target_is_listed_with_its_reason(
    read: ReadOne, health_server: HealthServer
) -> None:
    with closed_port() as port:
        refused = f"http://127.0.0.1:{port}/live"
        signal = http_signal(f"{health_server.base}/fail", refused)
        reading = probe(read, signal)
    assert reading.status == Status.DOWN
    assert reading.detail == (
        f"2 of 2 failing: GET {health_server.base}/fail: HTTP 503; "
        f"GET {refused}: connection refused"
    )

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from engine.health.collect import Collector
from engine.model import Reading, Status, Vantage
from tests.support.clock import T0, ManualClock

NOW = T0


@dataclass
class FakeSource:
    signals: Sequence[str]
    behaviour: str = "ok"
    deadline: float = 0.2

    async def collect(self) -> Sequence[Reading]:
        if self.behaviour == "hang":
            await asyncio.sleep(10)
        if self.behaviour == "raise":
            raise ConnectionError("peer reset")
        if self.behaviour == "partial":
            return [Reading(self.signals[0], Status.OK, 1.0, "", Vantage.INTERNAL, NOW)]
        if self.behaviour == "stranger":
            return [Reading("not-configured", Status.DOWN, 1.0, "", Vantage.INTERNAL, NOW)]
        return [Reading(name, Status.OK, 0.0, "", Vantage.INTERNAL, NOW) for name in self.signals]


VANTAGES = {
    "a": Vantage.INTERNAL,
    "b": Vantage.EXTERNAL,
    "c": Vantage.CROSS_CLOUD,
    "d": Vantage.INTERNAL,
}


def collect(*sources: FakeSource) -> dict[str, Reading]:
    readings = Collector(sources, VANTAGES, ManualClock(NOW)).collect()
    assert [r.signal for r in readings] == list(VANTAGES)  # config order, every signal once
    return {r.signal: r for r in readings}


def test_every_signal_gets_a_reading() -> None:
    got = collect(FakeSource(["a", "b"]), FakeSource(["c", "d"]))
    assert all(r.status == Status.OK for r in got.values())


def test_a_hanging_source_is_unknown_and_does_not_hold_up_the_others() -> None:
    got = collect(FakeSource(["a"], "hang"), FakeSource(["b", "c", "d"]))
    assert got["a"].status == Status.UNKNOWN
    assert "did not finish within 0.2s" in got["a"].detail
    assert got["b"].status == Status.OK


def test_a_failing_source_is_unknown_with_the_reason_never_ok() -> None:
    got = collect(FakeSource(["a", "b"], "raise"), FakeSource(["c", "d"]))
    assert got["b"].status == Status.UNKNOWN
    assert got["b"].detail == "collector failed: ConnectionError: peer reset"
    assert got["b"].vantage == Vantage.EXTERNAL


def test_missing_and_stray_readings() -> None:
    got = collect(FakeSource(["a", "b"], "partial"), FakeSource(["c", "d"], "stranger"))
    assert got["a"].status == Status.OK
    assert got["b"].status == Status.UNKNOWN
    assert got["b"].detail == "no reading was produced"
    assert got["d"].status == Status.UNKNOWN
    assert "not-configured" not in got

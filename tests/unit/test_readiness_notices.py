"""When the incident channel hears of a readiness check: once when it stops being ready and
once when it is ready again, each after the change held for ``confirm`` sweeps — never once a
sweep, never for a blip."""

from __future__ import annotations

from collections.abc import Sequence

from engine.health.readiness.notices import announce
from engine.readiness import Announced, Area, CheckResult, Verdict

R, N, U = Verdict.READY, Verdict.NOT_READY, Verdict.UNKNOWN


def check(verdict: Verdict, name: str = "traffic-manager") -> CheckResult:
    return CheckResult(name, name, Area.TRAFFIC, verdict, f"reads {verdict.value}")


def told(verdicts: Sequence[Verdict], confirm: int = 2) -> list[str]:
    """What the channel is told over sweeps that read ``verdicts``, one word per notice."""
    memory: dict[str, Announced] = {}
    said = []
    for number, verdict in enumerate(verdicts):
        memory, changes = announce(memory, [check(verdict)], confirm)
        said += [f"{number}:{'recovered' if c.recovered else 'stopped'}" for c in changes]
    return said


def test_a_check_that_stops_being_ready_is_told_once_after_it_held() -> None:
    assert told([R, R, N, N, N, N, N, N]) == ["3:stopped"]


def test_and_once_more_when_it_is_ready_again() -> None:
    assert told([R, N, N, N, R, R, R]) == ["2:stopped", "5:recovered"]


def test_a_blip_shorter_than_confirm_is_never_told() -> None:
    assert told([R, N, R, N, R, N, R, R]) == []
    assert told([R, N, N, R, N, N], confirm=3) == []


def test_unknown_is_not_ready() -> None:
    assert told([R, U, U, N, R, R]) == ["2:stopped", "5:recovered"]
    assert told([N, U, U, U]) == []


def test_confirm_one_tells_at_once() -> None:
    assert told([R, N, R], confirm=1) == ["1:stopped", "2:recovered"]


def test_the_state_a_new_check_starts_in_is_not_a_change() -> None:
    assert told([N, N, N]) == []
    assert told([N, N, R, R]) == ["3:recovered"]


def test_each_check_is_told_on_its_own_and_a_check_gone_is_forgotten() -> None:
    memory: dict[str, Announced] = {}
    for _ in range(2):
        memory, changes = announce(memory, [check(R, "a"), check(R, "b")], 1)
    memory, changes = announce(memory, [check(N, "a"), check(R, "b")], 1)
    assert [(c.check.name, c.recovered) for c in changes] == [("a", False)]
    memory, changes = announce(memory, [check(N, "a")], 1)
    assert changes == []
    assert set(memory) == {"a"}

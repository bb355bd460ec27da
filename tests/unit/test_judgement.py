"""Whether an evaluation's level decision becomes a proposal (``engine.health.judgement``):
the cool-down after a failover and silences hold it back, in one place, and the quorum rule
for level 3 holds as it does in ``decide``. Pure: no Store, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from engine.config import PhoenixConfig
from engine.health.judgement import Judgement, judge
from engine.health.levels import start_cooldown
from engine.health.scoring import score
from engine.model import Action, Level, LevelState, Status
from engine.records import Silence
from tests.unit.levels_support import ALL_DOWN, HEALTHY, SIGNALS, T0, config, readings

A_AND_B_DOWN = {"service-a": Status.DOWN, "service-b": Status.DOWN}  # 8 points: level 2
EVERY = timedelta(seconds=30)


def silence(start: datetime, minutes: int = 60) -> Silence:
    return Silence("sil-1", "maintenance", "UALICE", start, start + timedelta(minutes=minutes))


def judged(
    cfg: PhoenixConfig,
    steps: Iterable[Mapping[str, Status]],
    *,
    state: LevelState | None = None,
    silences: Sequence[Silence] = (),
    last_failover: datetime | None = None,
) -> tuple[list[Judgement], LevelState]:
    """Judge evaluations 30 s apart from ``state``, each from the state the last one left."""
    state = state or LevelState()
    found = []
    for i, statuses in enumerate(steps):
        at = T0 + EVERY * i
        judgement = judge(
            state,
            score(readings(statuses, at), cfg, at),
            cfg,
            silences=silences,
            last_failover=last_failover,
        )
        found.append(judgement)
        state = judgement.state
    return found, state


def test_without_silence_or_cool_down_a_confirmed_breach_is_proposed() -> None:
    (first, second), state = judged(config(), [A_AND_B_DOWN, A_AND_B_DOWN])
    assert first.decision.action is Action.NONE
    assert second.decision.action is Action.OPEN
    assert not second.held
    assert state.level == Level.REGION_FAILOVER
    assert second.reason == second.decision.reason


def test_a_silence_holds_the_proposal_back_and_keeps_the_level() -> None:
    (_, held), state = judged(config(), [A_AND_B_DOWN] * 2, silences=[silence(T0)])
    assert held.held
    assert held.decision.action is Action.OPEN, "the decision itself is what the levels say"
    assert state.level == Level.NONE, "held, not taken"
    assert held.reason.endswith("proposal held back: silenced until 2026-01-01 01:00 UTC")


def test_the_latest_ending_silence_is_named() -> None:
    both = [silence(T0, 30), silence(T0, 90)]
    (_, held), _ = judged(config(), [A_AND_B_DOWN] * 2, silences=both)
    assert "silenced until 2026-01-01 01:30 UTC" in held.reason


def test_once_the_silence_ends_a_breach_that_still_holds_is_proposed_at_once() -> None:
    cfg = config()
    _, silenced = judged(cfg, [A_AND_B_DOWN] * 3, silences=[silence(T0)])
    (after,), state = judged(cfg, [A_AND_B_DOWN], state=silenced)
    assert after.decision.action is Action.OPEN
    assert not after.held
    assert state.level == Level.REGION_FAILOVER


def test_a_silence_holds_back_only_proposals() -> None:
    cfg = config()
    _, opened = judged(cfg, [A_AND_B_DOWN] * 2)
    recovered, state = judged(cfg, [HEALTHY] * 4, state=opened, silences=[silence(T0)])
    assert recovered[-1].decision.action is Action.RESOLVE
    assert not any(j.held for j in recovered), "a resolution is followed up in a silence"
    assert state.level == Level.NONE


def test_a_silence_holds_back_an_escalation() -> None:
    cfg = config()
    _, level1 = judged(cfg, [{"service-a": Status.DOWN}] * 2)
    (_, held), state = judged(cfg, [A_AND_B_DOWN] * 2, state=level1, silences=[silence(T0)])
    assert held.decision.action is Action.ESCALATE
    assert held.held
    assert held.silences == (silence(T0),)
    assert state.level == Level.SELF_HEAL


def test_a_level3_loss_confirmed_by_quorum_is_proposed_past_a_silence() -> None:
    cfg = config()
    _, level2 = judged(cfg, [A_AND_B_DOWN] * 2)
    (_, past), state = judged(cfg, [ALL_DOWN] * 2, state=level2, silences=[silence(T0)])
    assert past.decision.action is Action.ESCALATE
    assert not past.held
    assert past.silences == (silence(T0),), "the proposal is marked with the silence"
    assert state.level == Level.DR_FAILOVER
    assert "quorum: loss confirmed" in past.reason
    assert "proposed although silenced" in past.reason
    (_, opened), _ = judged(cfg, [ALL_DOWN] * 2, silences=[silence(T0)])
    assert opened.decision.action is Action.OPEN
    assert not opened.held, "nor is a level-3 loss held back when it opens the incident"


def test_a_loss_seen_from_one_vantage_only_is_level2_and_held_back() -> None:
    cfg = config()
    one_vantage = {**ALL_DOWN, "cross-cloud": Status.UNKNOWN}
    (_, held), state = judged(cfg, [one_vantage] * 2, silences=[silence(T0)])
    assert "quorum not met" in held.reason
    assert held.decision.level == Level.REGION_FAILOVER
    assert held.held
    assert state.level == Level.NONE


def test_a_recent_failover_holds_proposals_back_until_the_cool_down_ends() -> None:
    cfg = config("evaluation: {cooldown: 2m}\n")
    found, _ = judged(cfg, [A_AND_B_DOWN] * 8, last_failover=T0)
    actions = [j.decision.action for j in found]
    # 30 s apart: the cool-down covers the first four evaluations.
    assert actions[:4] == [Action.NONE] + [Action.SUPPRESSED] * 3
    assert "cool-down after the last failover until 2026-01-01T00:02:00" in found[2].reason
    assert actions[4] is Action.OPEN
    assert not any(j.held for j in found), "a cool-down suppresses; it does not hold"


def test_a_failover_long_ago_holds_nothing() -> None:
    cfg = config("evaluation: {cooldown: 2m}\n")
    found, _ = judged(cfg, [A_AND_B_DOWN] * 2, last_failover=T0 - timedelta(hours=1))
    assert found[-1].decision.action is Action.OPEN


def test_an_earlier_failover_never_shortens_a_cool_down_already_running() -> None:
    cfg = config("evaluation: {cooldown: 2m}\n")
    running = start_cooldown(LevelState(), T0 + timedelta(minutes=5), cfg.evaluation)
    found, state = judged(cfg, [A_AND_B_DOWN] * 2, state=running, last_failover=T0)
    assert found[-1].decision.action is Action.SUPPRESSED
    assert state.cooldown_until == T0 + timedelta(minutes=7)


def test_a_later_failover_moves_the_end_of_the_cool_down_on() -> None:
    cfg = config("evaluation: {cooldown: 2m}\n")
    old = start_cooldown(LevelState(), T0 - timedelta(hours=1), cfg.evaluation)
    _, state = judged(cfg, [A_AND_B_DOWN], state=old, last_failover=T0)
    assert state.cooldown_until == T0 + timedelta(minutes=2)


def test_level_three_needs_the_loss_seen_from_external_and_cross_cloud() -> None:
    found, state = judged(config(), [ALL_DOWN] * 2)
    assert found[-1].decision.action is Action.OPEN
    assert state.level == Level.DR_FAILOVER
    assert "quorum: loss confirmed from external, cross-cloud" in found[-1].reason


def test_without_a_second_vantage_level_three_is_held_at_two() -> None:
    unconfirmed = dict(ALL_DOWN, external=Status.UNKNOWN)
    found, state = judged(config(), [unconfirmed] * 2)
    assert found[-1].decision.action is Action.OPEN
    assert state.level == Level.REGION_FAILOVER
    assert "quorum not met" in found[-1].reason


def test_an_observer_partition_proposes_nothing() -> None:
    partitioned = {name: Status.DOWN for name in SIGNALS if name != "external"}
    found, state = judged(config(), [partitioned] * 4)
    assert all(j.decision.partition for j in found)
    assert all(j.decision.action is Action.NONE for j in found)
    assert state.level == Level.NONE

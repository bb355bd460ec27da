"""Properties of scoring and levels that must hold for any trace, checked with hypothesis."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import LevelRule, Levels
from engine.health.scoring import score
from engine.model import Action, Level, Status

from .levels_support import SIGNALS, T0, config, readings, run

STATUS = st.sampled_from(list(Status))
STEP = st.fixed_dictionaries(dict.fromkeys(SIGNALS, STATUS))
TRACE = st.lists(STEP, min_size=1, max_size=60)
RANK = {Status.OK: 0, Status.UNKNOWN: 1, Status.DEGRADED: 2, Status.DOWN: 3}


@st.composite
def bounds(draw: st.DrawFn) -> Levels:
    a = draw(st.integers(1, 20))
    b = draw(st.integers(a + 1, 40))
    c = draw(st.integers(b + 1, 60))
    return Levels(
        self_heal=LevelRule(min_score=a, policy="auto", plan="self-heal"),
        region_failover=LevelRule(min_score=b, policy="approve", plan="region-failover"),
        dr_failover=LevelRule(min_score=c, policy="two-person", plan="dr-azure"),
    )


@given(bounds(), st.integers(0, 80), st.integers(0, 80))
def test_more_points_never_give_a_lower_raw_level(levels: Levels, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert levels.level_for(low) <= levels.level_for(high)


@given(STEP, st.sampled_from(SIGNALS), STATUS)
def test_a_worse_reading_never_lowers_the_raw_level(
    step: dict[str, Status], name: str, worse: Status
) -> None:
    cfg = config()
    before = score(readings(step), cfg, T0)
    points_before = cfg.points_for(cfg.signals_by_name[name], step[name])
    if cfg.points_for(cfg.signals_by_name[name], worse) < points_before:
        return
    after = score(readings({**step, name: worse}), cfg, T0)
    assert after.total >= before.total
    assert after.raw_level >= before.raw_level


@settings(max_examples=200)
@given(TRACE, st.integers(1, 5))
def test_no_escalation_before_confirm_evaluations(
    trace: list[dict[str, Status]], confirm: int
) -> None:
    cfg = config(f"evaluation: {{confirm: {confirm}}}\n")
    decisions, _ = run(cfg, trace)
    for i, decision in enumerate(decisions):
        if decision.action.is_proposal:
            assert i + 1 >= confirm
            window = decisions[i - confirm + 1 : i + 1]
            assert all(d.raw_level >= decision.level for d in window)


@settings(max_examples=200)
@given(st.lists(st.sampled_from([Status.OK, Status.DOWN, Status.DEGRADED]), max_size=80))
def test_a_flapping_signal_never_proposes_while_it_flaps(statuses: list[Status]) -> None:
    decisions, _ = run(config(), [{"service-a": s} for s in statuses])
    for decision in decisions:
        if "service-a" in decision.flapping:
            assert not decision.action.is_proposal


@st.composite
def single_vantage_loss(draw: st.DrawFn) -> list[dict[str, Status]]:
    """Traces in which external and cross-cloud never both report the loss at once."""
    trace = draw(TRACE)
    for step in trace:
        if step["external"] == Status.DOWN and step["cross-cloud"] == Status.DOWN:
            step[draw(st.sampled_from(["external", "cross-cloud"]))] = draw(
                st.sampled_from([Status.OK, Status.DEGRADED, Status.UNKNOWN])
            )
    return trace


@settings(max_examples=200)
@given(single_vantage_loss())
def test_loss_from_a_single_vantage_never_reaches_level_three(
    trace: list[dict[str, Status]],
) -> None:
    decisions, _ = run(config("evaluation: {confirm: 1}\n"), trace)
    assert all(d.level < Level.DR_FAILOVER for d in decisions)
    assert all(not (d.action.is_proposal and d.level == Level.DR_FAILOVER) for d in decisions)


@settings(max_examples=100)
@given(TRACE)
def test_actions_agree_with_level_changes(trace: list[dict[str, Status]]) -> None:
    decisions, _ = run(config(), trace)
    for d in decisions:
        moved = (d.previous_level, d.level)
        expected = {
            Action.OPEN: d.previous_level == 0 and d.level > 0,
            Action.ESCALATE: 0 < d.previous_level < d.level,
            Action.DE_ESCALATE: 0 < d.level < d.previous_level,
            Action.RESOLVE: d.previous_level > 0 and d.level == 0,
            Action.NONE: d.level == d.previous_level,
            Action.SUPPRESSED: d.level == d.previous_level,
        }
        assert expected[d.action], (d.action, moved)

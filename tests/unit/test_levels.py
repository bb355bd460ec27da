from datetime import timedelta

from engine.health.levels import LevelState, flap_share, start_cooldown
from engine.model import Action, Level, Status

from .levels_support import ALL_DOWN, HEALTHY, SIGNALS, T0, config, run

A_DOWN = {"service-a": Status.DOWN}  # 4 points: level 1
BOTH_DOWN = {"service-a": Status.DOWN, "service-b": Status.DOWN}  # 8 points: level 2


def test_escalation_waits_for_confirm_evaluations() -> None:
    decisions, state = run(config(), [HEALTHY, A_DOWN, A_DOWN])
    assert [d.action for d in decisions] == [Action.NONE, Action.NONE, Action.OPEN]
    assert decisions[1].level == Level.NONE
    assert "not yet confirmed" in decisions[1].reason
    assert decisions[2].level == Level.SELF_HEAL
    assert "held for 2 evaluations" in decisions[2].reason
    assert state.level == Level.SELF_HEAL


def test_a_single_bad_evaluation_opens_nothing() -> None:
    decisions, _ = run(config(), [A_DOWN, HEALTHY, A_DOWN, HEALTHY])
    assert all(d.action == Action.NONE for d in decisions)


def test_confirm_is_configurable() -> None:
    decisions, _ = run(config("evaluation: {confirm: 3}\n"), [A_DOWN] * 3)
    assert [d.action for d in decisions] == [Action.NONE, Action.NONE, Action.OPEN]


def test_escalation_goes_to_the_level_held_throughout() -> None:
    decisions, _ = run(config(), [A_DOWN, ALL_DOWN, ALL_DOWN])
    assert [(d.action, d.level) for d in decisions] == [
        (Action.NONE, Level.NONE),
        (Action.OPEN, Level.SELF_HEAL),
        (Action.ESCALATE, Level.DR_FAILOVER),
    ]


def test_step_down_needs_clear_evaluations_below_bound_minus_margin() -> None:
    decisions, _ = run(config(), [BOTH_DOWN, BOTH_DOWN] + [HEALTHY] * 4)
    assert decisions[1].level == Level.REGION_FAILOVER
    assert [d.action for d in decisions[2:5]] == [Action.NONE] * 3
    assert "for 3 of 4 evaluations" in decisions[4].reason
    assert decisions[5].action == Action.RESOLVE
    assert decisions[5].level == Level.NONE


def test_score_inside_the_margin_does_not_step_down() -> None:
    # Level 2 starts at 8; with margin 1 a score of 7 is not low enough to step down.
    seven = {"service-a": Status.DOWN, "external": Status.DOWN}
    decisions, state = run(config(), [BOTH_DOWN, BOTH_DOWN] + [seven] * 8)
    assert state.level == Level.REGION_FAILOVER
    assert all(d.action == Action.NONE for d in decisions[2:])


def test_step_down_lands_on_the_level_the_recent_scores_reach() -> None:
    decisions, _ = run(config(), [BOTH_DOWN, BOTH_DOWN] + [A_DOWN] * 4)
    assert decisions[-1].action == Action.DE_ESCALATE
    assert decisions[-1].level == Level.SELF_HEAL


def test_dr_needs_loss_seen_from_two_independent_vantages() -> None:
    decisions, _ = run(config(), [ALL_DOWN, ALL_DOWN])
    assert decisions[-1].level == Level.DR_FAILOVER
    assert "quorum: loss confirmed from external, cross-cloud" in decisions[-1].reason


def test_observer_partition_never_proposes_dr() -> None:
    # The observer's own view (internal and cross-cloud) is lost; the external monitor is fine.
    partitioned = {name: Status.DOWN for name in SIGNALS if name != "external"}
    decisions, state = run(config(), [partitioned] * 6)
    assert all(d.partition for d in decisions)
    assert all(d.level == Level.NONE for d in decisions)
    assert "observer partition" in decisions[-1].reason
    assert state.level == Level.NONE


def test_quorum_without_confirmation_holds_at_level_two() -> None:
    # External cannot tell (unknown): no contradiction, no confirmation either.
    unconfirmed = dict(ALL_DOWN, external=Status.UNKNOWN)
    decisions, _ = run(config(), [unconfirmed] * 3)
    assert decisions[-1].level == Level.REGION_FAILOVER
    assert "quorum not met" in decisions[-1].reason
    assert not decisions[-1].partition


def test_cool_down_holds_proposals_back_then_lets_them_through() -> None:
    cfg = config("evaluation: {cooldown: 2m}\n")
    state = start_cooldown(LevelState(), T0, cfg.evaluation)
    decisions, _ = run(cfg, [A_DOWN] * 8, state)
    # Evaluations are 30 s apart: the cool-down covers the first four.
    assert [d.action for d in decisions[:4]] == [Action.NONE] + [Action.SUPPRESSED] * 3
    assert "cool-down" in decisions[2].reason
    assert decisions[4].action == Action.OPEN


def test_flap_share_weights_recent_changes_more() -> None:
    old = [Status.OK, Status.DOWN] + [Status.DOWN] * 19
    new = [Status.OK] * 20 + [Status.DOWN]
    assert flap_share(new, 21) > flap_share(old, 21)
    assert flap_share([Status.OK] * 21, 21) == 0.0
    alternating = [Status.OK, Status.DOWN] * 10 + [Status.OK]
    assert abs(flap_share(alternating, 21) - 1.0) < 1e-9


def test_flapping_signal_gets_one_notice_and_no_proposal_while_it_flaps() -> None:
    # Down twice, healthy four times: opens, resolves, opens again, then counts as flapping.
    decisions, _ = run(
        config(), [A_DOWN, A_DOWN] + [HEALTHY] * 4 * 1 + ([A_DOWN] * 2 + [HEALTHY] * 4) * 6
    )
    first_flap = next(i for i, d in enumerate(decisions) if d.flapping)
    before = [d for d in decisions[:first_flap] if d.action.is_proposal]
    during = [d for d in decisions[first_flap:] if d.action.is_proposal]
    started = [n for d in decisions for n in d.notices if "is flapping" in n]
    assert len(before) == 2
    assert during == []
    assert any(d.action == Action.SUPPRESSED for d in decisions[first_flap:])
    assert "flapping: service-a" in next(
        d.reason for d in decisions if d.action == Action.SUPPRESSED
    )
    assert len(started) == 1


def test_flapping_does_not_hide_a_stable_outage() -> None:
    # service-b flaps; then everything else goes down hard: escalation still happens.
    flap = [{"service-b": Status.DOWN}, {"service-b": Status.DOWN}, HEALTHY, HEALTHY] * 4
    decisions, _ = run(config(), [*flap, ALL_DOWN, ALL_DOWN])
    assert decisions[-1].flapping == frozenset({"service-b"})
    assert decisions[-1].action == Action.ESCALATE
    assert decisions[-1].level == Level.DR_FAILOVER


def test_every_decision_says_which_signals_gave_points() -> None:
    decisions, _ = run(config(), [BOTH_DOWN])
    assert "service-a down +4" in decisions[0].reason
    assert "service-b down +4" in decisions[0].reason
    assert decisions[0].reason.startswith("score 8 (raw level 2)")


def test_cooldown_window_uses_configured_duration() -> None:
    cfg = config("evaluation: {cooldown: 1h}\n")
    state = start_cooldown(LevelState(), T0, cfg.evaluation)
    assert state.cooldown_until == T0 + timedelta(hours=1)


def test_a_blind_observer_escalates_nothing() -> None:
    # Four of six signals unknown (the observer's own trouble): points count, nothing escalates.
    blind = dict.fromkeys(("service-b", "external", "lag", "nodes"), Status.UNKNOWN)
    blind["service-a"] = Status.DOWN  # 4 + 4 unknown points = 8: level 2 by score alone
    decisions, state = run(config(), [blind] * 4)
    assert decisions[-1].score.total == 8
    assert all(d.action in (Action.NONE, Action.SUPPRESSED) for d in decisions)
    assert "observer blind: 4 of 6 signals unknown" in decisions[-1].reason
    assert state.level == Level.NONE


def test_half_the_signals_unknown_is_not_yet_blind() -> None:
    # A regional outage takes the cloud APIs with it: three of six unknown, still acted on.
    outage = dict.fromkeys(("external", "lag", "nodes"), Status.UNKNOWN)
    outage.update(dict.fromkeys(("service-a", "service-b", "cross-cloud"), Status.DOWN))
    decisions, _ = run(config(), [outage] * 2)
    assert decisions[-1].action == Action.OPEN
    assert decisions[-1].level == Level.REGION_FAILOVER  # quorum unmet: external cannot tell

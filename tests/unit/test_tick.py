"""The engine's evaluation tick (``engine.health.tick``) on a real SQLite store: a breach
opens one incident with one proposal, a recovery resolves it with a note in its thread, a
silence holds a proposal back and says so once, a live failover starts the cool-down
(a drill does not), and an evaluation its caller may no longer record leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest

from engine.adapters.stores.sqlite_store import SqliteStore
from engine.config import PhoenixConfig, parse_config
from engine.health.tick import Tick, TickOutcome
from engine.incidents.desk import IncidentDesk
from engine.incidents.lifecycle import IncidentUpdate
from engine.model import Action, Level, Reading, Status, Vantage
from engine.plans.model import plan_book
from engine.records import IncidentStatus, Surface
from engine.runner.runner import Runner
from engine.runs import RunMode, RunState
from tests.support.clock import ManualClock
from tests.support.directory import Groups

CONFIG = parse_config(
    """
environment: prod
signals:
  - {name: service-a, kind: http, targets: ["http://a/"], points: {degraded: 2, down: 4}}
  - {name: service-b, kind: http, targets: ["http://b/"], points: {down: 4}}
  - {name: external, kind: http, vantage: external, targets: ["http://e/"]}
  - {name: cross-cloud, kind: http, vantage: cross-cloud, targets: ["http://c/"]}
levels:
  region_failover: {min_score: 8, policy: approve, plan: quick}
  dr_failover: {min_score: 11, policy: two-person, plan: dr-quick}
evaluation: {cooldown: 10m}
slack: {channel: "#incidents", approvers: {users: [UALICE]}}
plans:
  quick: {stages: [{name: switch-traffic, kind: noop}]}
  dr-quick: {stages: [{name: promote, kind: noop}]}
"""
)
VANTAGES = {"external": Vantage.EXTERNAL, "cross-cloud": Vantage.CROSS_CLOUD}
HEALTHY = dict.fromkeys(("service-a", "service-b", "external", "cross-cloud"), Status.OK)
LEVEL2 = {**HEALTHY, "service-a": Status.DOWN, "service-b": Status.DOWN}


@dataclass
class Kit:
    clock: ManualClock
    store: SqliteStore
    runner: Runner
    desk: IncidentDesk
    tick: Tick

    def evaluate(
        self, statuses: Mapping[str, Status], may_record: Callable[[], bool] = lambda: True
    ) -> TickOutcome | None:
        self.clock.advance(30)
        now = self.clock.now()
        readings = [
            Reading(name, status, None, "", VANTAGES.get(name, Vantage.INTERNAL), now)
            for name, status in statuses.items()
        ]
        return self.tick.evaluate(readings, at=now, may_record=may_record)

    def evaluated(self, statuses: Mapping[str, Status]) -> TickOutcome:
        outcome = self.evaluate(statuses)
        assert outcome is not None
        return outcome


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[Kit]:
    clock = ManualClock()
    store = SqliteStore(tmp_path / "phoenix.db", clock=clock)
    config: PhoenixConfig = CONFIG
    runner = Runner(store, plan_book(config), clock=clock)
    desk = IncidentDesk(runner, config, clock=clock, groups=Groups())
    yield Kit(clock, store, runner, desk, Tick(config, store, desk.lifecycle, clock=clock))
    runner.close()
    store.close()


def test_a_confirmed_breach_opens_one_incident_with_one_proposal(kit: Kit) -> None:
    first = kit.evaluated(LEVEL2)
    assert first.incidents.proposed is None
    opened = kit.evaluated(LEVEL2)
    proposal = opened.incidents.proposed
    assert proposal is not None
    assert proposal.record.plan == "quick"
    assert opened.incidents.opened is not None
    assert opened.incidents.proposals == (proposal,)
    assert opened.sample.level == Level.REGION_FAILOVER
    assert opened.sample.state == opened.judgement.state
    again = kit.evaluated(LEVEL2)
    assert again.incidents.proposed is None, "a level is proposed once"
    [incident] = kit.store.list_incidents(open_only=True)
    assert incident.run_ids == (proposal.run_id,)


def test_an_escalation_is_proposed_in_the_incident_and_shows_its_first_proposal(kit: Kit) -> None:
    kit.evaluated(LEVEL2)
    first = kit.evaluated(LEVEL2).incidents.proposed
    assert first is not None
    dr = dict.fromkeys(HEALTHY, Status.DOWN)
    kit.evaluated(dr)
    escalated = kit.evaluated(dr).incidents
    assert escalated.proposed is not None
    assert escalated.opened is None, "an escalation is not a new incident"
    assert [p.run_id for p in escalated.proposals] == [escalated.proposed.run_id, first.run_id]
    assert escalated.proposals[1].incident is not None
    assert escalated.proposals[1].incident.level == Level.DR_FAILOVER


def test_a_recovery_resolves_the_incident_with_a_note_in_its_thread(kit: Kit) -> None:
    kit.evaluated(LEVEL2)
    proposal = kit.evaluated(LEVEL2).incidents.proposed
    assert proposal is not None
    outcomes = [kit.evaluated(HEALTHY) for _ in range(CONFIG.evaluation.clear)]
    resolved = outcomes[-1]
    assert resolved.decision.action is Action.RESOLVE
    [note] = resolved.incidents.notes
    assert note.text.startswith("Resolved: the score is back to 0")
    assert "Withdrew 1 proposal(s)" in note.text
    assert note.thread == proposal.run_id
    assert note.head is not None
    assert note.head.incident is not None
    assert note.head.incident.status is IncidentStatus.RESOLVED
    assert [p.run_id for p in resolved.incidents.proposals] == [proposal.run_id]
    assert kit.store.list_incidents(open_only=True) == []
    assert kit.store.get_run(proposal.run_id).state is RunState.ABORTED  # type: ignore[union-attr]


def test_a_silence_holds_the_proposal_back_and_leaves_no_incident(kit: Kit) -> None:
    silence = kit.desk.silences.add(timedelta(hours=1), "maintenance", "UALICE")
    kit.evaluated(LEVEL2)
    held = kit.evaluated(LEVEL2)
    assert held.judgement.held
    assert held.incidents.proposed is None
    assert held.incidents.proposals == ()
    assert held.incidents.notes == ()
    assert held.sample.level == Level.NONE
    assert "proposal held back: silenced until" in held.sample.reason
    assert kit.store.list_incidents() == []
    shown = held.incidents.held
    assert shown is not None, "what the silence holds back is shown"
    assert (shown.level, shown.plan, shown.score) == (Level.REGION_FAILOVER, "quick", 8)
    assert shown.silence == silence
    assert shown.snoozed is None
    again = kit.evaluated(LEVEL2)
    assert again.judgement.held
    assert again.incidents == IncidentUpdate(), "shown once per silence and level"
    kit.desk.silences.end_all("UALICE")
    assert kit.evaluated(LEVEL2).incidents.proposed is not None, "proposed once it ended"


def test_a_level3_loss_is_proposed_past_a_silence_and_marked_with_it(kit: Kit) -> None:
    silence = kit.desk.silences.add(timedelta(hours=1), "maintenance <window>", "UALICE")
    dr = dict.fromkeys(HEALTHY, Status.DOWN)
    kit.evaluated(dr)
    outcome = kit.evaluated(dr)
    assert not outcome.judgement.held
    proposal = outcome.incidents.proposed
    assert proposal is not None
    assert proposal.record.level == Level.DR_FAILOVER
    [mark] = proposal.record.silenced
    assert (mark.silence_id, mark.by, mark.until, mark.reason) == (
        silence.silence_id,
        "UALICE",
        silence.until,
        "maintenance <window>",
    )
    stored = kit.desk.register.proposal(proposal.run_id)
    assert stored is not None
    assert stored.record.silenced == (mark,), "every replica renders the mark from the Store"


def test_a_snooze_holds_the_next_proposal_back_in_the_snoozed_proposals_thread(kit: Kit) -> None:
    kit.evaluated(LEVEL2)
    proposal = kit.evaluated(LEVEL2).incidents.proposed
    assert proposal is not None
    assert kit.desk.clicks.snooze(proposal.run_id, "UALICE").allowed
    outcomes = [kit.evaluated(HEALTHY) for _ in range(CONFIG.evaluation.clear)]
    assert outcomes[-1].decision.action is Action.RESOLVE
    kit.evaluated(LEVEL2)
    held = kit.evaluated(LEVEL2).incidents.held
    assert held is not None
    assert held.snoozed is not None
    assert held.snoozed.run_id == proposal.run_id


def _finished(kit: Kit, mode: RunMode) -> None:
    run = kit.runner.propose("quick", actor="UALICE", surface=Surface.CLI, mode=mode)
    kit.store.update_run(
        replace(run, state=RunState.SUCCEEDED, finished_at=kit.clock.now()),
        expect=RunState.PROPOSED,
    )


def test_a_live_failover_starts_the_cool_down(kit: Kit) -> None:
    _finished(kit, RunMode.LIVE)
    kit.evaluated(LEVEL2)
    suppressed = kit.evaluated(LEVEL2)
    assert suppressed.decision.action is Action.SUPPRESSED
    assert "cool-down after the last failover" in suppressed.sample.reason
    assert suppressed.incidents.proposed is None
    kit.clock.advance(CONFIG.evaluation.cooldown.total_seconds())
    assert kit.evaluated(LEVEL2).incidents.proposed is not None, "proposed once it is over"


def test_a_drill_of_the_same_plan_starts_no_cool_down(kit: Kit) -> None:
    _finished(kit, RunMode.REHEARSAL)
    kit.evaluated(LEVEL2)
    assert kit.evaluated(LEVEL2).decision.action is Action.OPEN


def test_an_evaluation_that_may_not_be_recorded_leaves_nothing(kit: Kit) -> None:
    kit.evaluated(LEVEL2)
    assert kit.evaluate(LEVEL2, may_record=lambda: False) is None
    assert len(kit.store.score_history()) == 1
    assert kit.store.list_incidents() == []
    assert kit.store.list_runs() == []


def test_a_flapping_notice_without_an_incident_goes_to_the_channel(kit: Kit) -> None:
    flapping = {**HEALTHY, "service-a": Status.DEGRADED}
    notes = [
        note
        for n in range(12)
        for note in kit.evaluated(flapping if n % 2 else HEALTHY).incidents.notes
    ]
    [notice] = notes
    assert "service-a is flapping" in notice.text
    assert notice.incident is None
    assert notice.thread is None

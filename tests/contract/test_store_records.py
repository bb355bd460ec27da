"""Store contract: runs, the audit log, approvals, dedupe keys, incidents, silences, scores."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from engine.adapters.stores.codec import dump, load
from engine.errors import Conflict
from engine.model import Level, Status
from engine.records import (
    Approval,
    AuditEvent,
    Decision,
    Incident,
    IncidentStatus,
    ScoreSample,
    SignalSample,
    Silence,
    Surface,
)
from engine.runs import Run, RunMode, RunState, StageRole
from engine.store import Store
from tests.support.clock import T0, ManualClock


def a_run(run_id: str, minutes: int = 0, state: RunState = RunState.PROPOSED) -> Run:
    return Run(
        run_id,
        "dr-azure",
        "abc123",
        ("check", "switch"),
        RunMode.REHEARSAL,
        state,
        T0 + timedelta(minutes=minutes),
        "U1",
        incident_id="inc-1",
        reason="because",
        roles={"check": StageRole.CATCH_UP, "switch": StageRole.CUT_OVER},
    )


def audit(action: str, subject: str = "r1", actor: str = "U1") -> AuditEvent:
    return AuditEvent(T0, actor, Surface.SLACK, action, subject, detail=f"{action} detail")


# ----------------------------------------------------------------------------- runs


def test_a_run_is_kept_as_written(store: Store) -> None:
    run = a_run("r1")
    store.create_run(run, audit=[audit("run.propose")])
    assert store.get_run("r1") == run
    assert store.get_run("nope") is None
    assert [a.action for a in store.list_audit(subject="r1")] == ["run.propose"]


def test_a_run_written_before_stages_had_roles_reads_back_without_them() -> None:
    written = json.loads(dump(a_run("r1")))
    del written["roles"]
    assert load(Run, json.dumps(written)) == replace(a_run("r1"), roles={})


def test_a_run_id_is_used_once(store: Store) -> None:
    store.create_run(a_run("r1"))
    with pytest.raises(Conflict):
        store.create_run(a_run("r1", minutes=5), audit=[audit("run.propose")])
    assert store.get_run("r1") == a_run("r1")
    assert store.list_audit() == []


def test_runs_are_listed_newest_first_and_filtered_by_state(store: Store) -> None:
    for n, state in enumerate([RunState.SUCCEEDED, RunState.RUNNING, RunState.PAUSED]):
        store.create_run(a_run(f"r{n}", minutes=n, state=state))
    assert [r.run_id for r in store.list_runs()] == ["r2", "r1", "r0"]
    assert [r.run_id for r in store.list_runs(limit=2)] == ["r2", "r1"]
    states = {RunState.RUNNING, RunState.SUCCEEDED}
    assert [r.run_id for r in store.list_runs(states=states)] == ["r1", "r0"]
    assert store.list_runs(states=set()) == []


def test_update_run_is_a_compare_and_set_on_the_state(store: Store) -> None:
    store.create_run(a_run("r1"))
    waiting = replace(a_run("r1"), state=RunState.AWAITING_APPROVAL)
    store.update_run(waiting, expect=RunState.PROPOSED, audit=[audit("run.request_approval")])
    assert store.get_run("r1") == waiting
    with pytest.raises(Conflict):
        store.update_run(
            replace(waiting, state=RunState.ABORTED), expect=RunState.PROPOSED, audit=[audit("x")]
        )
    assert store.get_run("r1") == waiting
    assert [a.action for a in store.list_audit()] == ["run.request_approval"]
    with pytest.raises(Conflict):
        store.update_run(a_run("ghost"), expect=RunState.PROPOSED)


def test_a_second_replica_sees_what_the_first_wrote(open_store: Callable[[], Store]) -> None:
    first, second = open_store(), open_store()
    first.create_run(a_run("r1"))
    first.append_audit(audit("run.propose"))
    assert second.get_run("r1") == a_run("r1")
    assert [a.action for a in second.list_audit()] == ["run.propose"]


# ----------------------------------------------------------------------------- audit, approvals


def test_the_audit_log_is_append_only_and_ordered(store: Store) -> None:
    stored = [store.append_audit(audit(f"a{n}", subject=f"r{n % 2}")) for n in range(5)]
    assert [e.seq for e in stored] == sorted({e.seq for e in stored})
    assert store.list_audit() == stored
    assert [e.action for e in store.list_audit(subject="r1")] == ["a1", "a3"]
    assert [e.action for e in store.list_audit(limit=2)] == ["a3", "a4"]
    assert stored[0].detail == "a0 detail"
    assert stored[0].surface is Surface.SLACK


def test_an_approval_counts_once_per_person_and_decision(store: Store) -> None:
    first = Approval("r1", "U1", Decision.APPROVE, T0, Surface.SLACK)
    assert store.add_approval(first)
    assert not store.add_approval(replace(first, at=T0 + timedelta(seconds=1)))  # double click
    assert store.add_approval(replace(first, user="U2"))
    assert store.add_approval(replace(first, decision=Decision.DECLINE))
    assert store.add_approval(replace(first, subject="r2"))
    assert [(a.user, a.decision) for a in store.list_approvals("r1")] == [
        ("U1", Decision.APPROVE),
        ("U2", Decision.APPROVE),
        ("U1", Decision.DECLINE),
    ]
    assert store.list_approvals("r1")[0] == first


# ----------------------------------------------------------------------------- dedupe


def test_a_dedupe_key_is_claimed_once_within_its_ttl(store: Store, clock: ManualClock) -> None:
    ttl = timedelta(minutes=5)
    assert store.claim("slack:action:123", ttl)
    assert not store.claim("slack:action:123", ttl)
    assert store.claim("slack:action:456", ttl)
    clock.advance(ttl.total_seconds() - 0.001)
    assert not store.claim("slack:action:123", ttl)
    clock.advance(0.001)
    assert store.claim("slack:action:123", ttl)


def test_of_many_replicas_claiming_one_key_exactly_one_wins(
    open_store: Callable[[], Store],
) -> None:
    replicas = [open_store() for _ in range(8)]
    barrier = threading.Barrier(len(replicas))
    wins: list[bool] = []

    def claim(store: Store) -> None:
        barrier.wait()
        wins.append(store.claim("double-click", timedelta(seconds=30)))

    threads = [threading.Thread(target=claim, args=(s,)) for s in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


# ----------------------------------------------------------------------------- incidents


def incident(incident_id: str, minutes: int, status: IncidentStatus) -> Incident:
    opened = T0 + timedelta(minutes=minutes)
    return Incident(incident_id, "AWS down", Level.DR_FAILOVER, status, opened, opened)


def test_incidents_are_saved_replaced_and_listed_newest_first(store: Store) -> None:
    store.save_incident(incident("i1", 0, IncidentStatus.OPEN))
    store.save_incident(incident("i2", 1, IncidentStatus.OPEN))
    resolved = replace(
        incident("i1", 0, IncidentStatus.RESOLVED),
        resolved_at=T0 + timedelta(hours=1),
        run_ids=("r1", "r2"),
    )
    store.save_incident(resolved)
    assert store.get_incident("i1") == resolved
    assert store.get_incident("nope") is None
    assert [i.incident_id for i in store.list_incidents()] == ["i2", "i1"]
    assert [i.incident_id for i in store.list_incidents(open_only=True)] == ["i2"]
    assert [i.incident_id for i in store.list_incidents(limit=1)] == ["i2"]


def test_silences_are_listed_active_or_all_and_removed(store: Store) -> None:
    def silence(silence_id: str, start: int, end: int) -> Silence:
        return Silence(
            silence_id,
            "maintenance",
            "U1",
            T0 + timedelta(minutes=start),
            T0 + timedelta(minutes=end),
        )

    store.add_silence(silence("long", 0, 60))
    store.add_silence(silence("short", 0, 10))
    store.add_silence(silence("later", 30, 40))
    assert [s.silence_id for s in store.list_silences()] == ["short", "later", "long"]
    at_5 = [s.silence_id for s in store.list_silences(active_at=T0 + timedelta(minutes=5))]
    assert at_5 == ["short", "long"]
    at_10 = store.list_silences(active_at=T0 + timedelta(minutes=10))
    assert [s.silence_id for s in at_10] == ["long"]
    assert store.remove_silence("long")
    assert not store.remove_silence("long")
    assert store.list_silences(active_at=T0 + timedelta(minutes=50)) == []


def test_the_score_history_is_bounded_and_oldest_first(store: Store) -> None:
    samples = [
        ScoreSample(T0 + timedelta(seconds=30 * n), n, Level.NONE, {"external": n})
        for n in range(7)
    ]
    for sample in samples:
        store.append_score(sample, keep=5)
    assert store.score_history() == samples[2:]
    assert store.score_history(limit=2) == samples[5:]


def test_a_score_sample_keeps_each_signals_status_and_value(store: Store) -> None:
    sample = ScoreSample(
        T0,
        6,
        Level.SELF_HEAL,
        {"service-a": 4, "lag": 2},
        {
            "service-a": SignalSample(Status.DOWN, 1.0),
            "lag": SignalSample(Status.DEGRADED, 92.5),
            "nodes": SignalSample(Status.UNKNOWN),
        },
    )
    store.append_score(sample, keep=5)
    assert store.score_history() == [sample]


def test_ping_answers(store: Store) -> None:
    store.ping()

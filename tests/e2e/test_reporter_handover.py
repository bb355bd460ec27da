"""A run taken over by another replica keeps its thread: one message per stage, edited where
it was. Two replicas' reporters share one Store (SQLite, and a real redis-server) and one
Slack emulator; each replica's "runner" writes the run's events under the run's lease, as the
runner does, and hands what it wrote to its own reporter, as the progress hub does."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from slack_sdk import WebClient

from bot.reporter.slack import SlackReporter
from engine.adapters.stores.redis_store import RedisStore
from engine.adapters.stores.sqlite_store import SqliteStore
from engine.config import parse_config
from engine.errors import StoreUnavailable
from engine.incidents.desk import IncidentDesk
from engine.incidents.messages import MessageRef
from engine.plans.model import plan_book
from engine.records import BOT, AuditAction, AuditEvent, Lease, Surface
from engine.runner.runner import Runner
from engine.runs import EventKind, ProgressEvent, Run, RunState, run_lease_name
from engine.store import Store
from sandbox.slack import Emulator, Message
from sandbox.slack.visible import visible_text
from tests.e2e.support import CONFIG
from tests.support.clock import ManualClock
from tests.support.directory import Groups
from tests.support.redis_server import RedisServer

CHANNEL = "#incidents"
STAGES = ("check-replication", "scale-sql", "copy-objects", "switch-traffic", "verify")
FIVE = (
    CONFIG
    + """
  five:
    stages:
      - {name: check-replication, kind: noop, role: catch-up}
      - {name: scale-sql, kind: noop, group: ready}
      - {name: copy-objects, kind: noop, group: ready}
      - {name: switch-traffic, kind: noop, role: cut-over}
      - {name: verify, kind: noop, role: verification}
"""
)
CONFIG_FIVE = parse_config(FIVE)
LEASE_TTL = timedelta(seconds=30)
SETTLE = 30.0


@dataclass
class Replica:
    name: str
    store: Store
    runner: Runner
    desk: IncidentDesk
    reporter: SlackReporter

    def close(self) -> None:
        self.reporter.close()
        self.runner.close()
        self.store.close()


@dataclass
class Executor:
    """A replica executing the run: every write fenced by the run's lease."""

    replica: Replica
    run_id: str
    lease: Lease
    clock: ManualClock

    def event(self, kind: EventKind, stage: str | None = None, **fields: Any) -> ProgressEvent:
        self.clock.advance(1)
        return ProgressEvent(self.run_id, kind, self.clock.now(), stage=stage, **fields)

    def write(self, *events: ProgressEvent, run: Run | None = None) -> list[ProgressEvent]:
        """Recorded, never reported: the replica dies before its reporter hears of them."""
        return self.replica.store.record(self.lease, run=run, events=events)

    def report(self, *events: ProgressEvent, run: Run | None = None) -> None:
        for stored in self.write(*events, run=run):
            self.replica.reporter.on_event(stored)


@dataclass
class World:
    slack: Emulator
    clock: ManualClock
    open_store: Callable[[], Store]
    replicas: list[Replica]

    def replica(self, name: str, store: Store | None = None) -> Replica:
        store = store or self.open_store()
        runner = Runner(store, plan_book(CONFIG_FIVE), clock=self.clock, owner=name)
        desk = IncidentDesk(runner, CONFIG_FIVE, clock=self.clock, groups=Groups())
        client = WebClient(token=self.slack.bot_token, base_url=self.slack.api_url)
        replica = Replica(name, store, runner, desk, SlackReporter(client, desk, CONFIG_FIVE))
        self.replicas.append(replica)
        return replica

    def execute(self, replica: Replica, run_id: str) -> Executor:
        lease = replica.store.acquire_lease(run_lease_name(run_id), replica.name, LEASE_TTL)
        assert lease is not None, f"{replica.name} could not take the run's lease"
        return Executor(replica, run_id, lease, self.clock)

    def thread(self, root: Message) -> list[Message]:
        return self.slack.replies(CHANNEL, root.ts)


@pytest.fixture(params=["sqlite", "redis"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    clock = ManualClock()
    if request.param == "sqlite":

        def open_store() -> Store:
            return SqliteStore(tmp_path / "phoenix.db", clock=clock)

    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        prefix = "handover:" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:16] + ":"

        def open_store() -> Store:
            return RedisStore(server.url, clock=clock, prefix=prefix)

    with Emulator() as slack:
        built = World(slack, clock, open_store, [])
        try:
            yield built
        finally:
            for replica in built.replicas:
                replica.close()


def propose(world: World, replica: Replica) -> tuple[Run, Message]:
    """A proposal of the five-stage plan, posted by ``replica``; the run, its message."""
    proposal = replica.desk.register.propose_manual("five", actor="UALICE", surface=Surface.SLACK)
    replica.reporter.publish(proposal)
    assert replica.reporter.flush(SETTLE)
    [message] = world.slack.messages(CHANNEL)
    return proposal.run, message


def running(run: Run, executor: Executor) -> Run:
    return replace(run, state=RunState.RUNNING, started_at=executor.clock.now())


def stage_replies(replies: list[Message], stage: str) -> list[Message]:
    return [m for m in replies if f" {stage}: " in m.text]


def test_a_replica_that_resumes_a_run_edits_the_stage_messages_already_posted(
    world: World,
) -> None:
    a = world.replica("replica-a")
    run, root = propose(world, a)
    run_a = world.execute(a, run.run_id)
    e = run_a.event
    run_a.report(e(EventKind.RUN_STARTED), run=running(run, run_a))
    run_a.report(
        e(EventKind.STAGE_STARTED, STAGES[0], attempt=1),
        e(EventKind.STAGE_SUCCEEDED, STAGES[0], message="lag 3s, within the RPO"),
        e(EventKind.STAGE_STARTED, STAGES[1], attempt=1),
        e(EventKind.STAGE_STARTED, STAGES[2], attempt=1),
        e(EventKind.STAGE_PROGRESS, STAGES[2], fraction=0.4, message="40 of 100 objects"),
    )
    assert a.reporter.flush(SETTLE)
    posted_by_a = {s: a.reporter.message(run.run_id, f"stage:{s}") for s in STAGES[:3]}
    assert all(posted_by_a.values())
    assert len(world.thread(root)) == 3

    # Replica A's runner writes one more event and dies (kill -9): its reporter never hears
    # of it, and stops making calls.
    run_a.write(e(EventKind.STAGE_SUCCEEDED, STAGES[1], message="scaled to 8 vCores"))
    a.reporter.close()

    b = world.replica("replica-b")
    world.clock.advance(LEASE_TTL.total_seconds() + 1)
    run_b = world.execute(b, run.run_id)
    assert run_b.lease.token > run_a.lease.token
    e = run_b.event
    run_b.report(e(EventKind.RUN_RESUMED))
    run_b.report(
        e(EventKind.STAGE_STARTED, STAGES[2], attempt=2),
        e(EventKind.STAGE_PROGRESS, STAGES[2], fraction=0.9, message="90 of 100 objects"),
        e(EventKind.STAGE_SUCCEEDED, STAGES[2], message="copied 100 objects"),
    )
    for stage in STAGES[3:]:
        run_b.report(
            e(EventKind.STAGE_STARTED, stage, attempt=1),
            e(EventKind.STAGE_SUCCEEDED, stage, message="done"),
        )
    finished = replace(running(run, run_b), state=RunState.SUCCEEDED)
    run_b.report(
        e(
            EventKind.RUN_FINISHED,
            run_state=RunState.SUCCEEDED,
            durations={**dict.fromkeys(STAGES, 1.0), "total": 12.0},
        ),
        run=finished,
    )
    assert b.reporter.flush(SETTLE)

    replies = world.thread(root)
    for stage in STAGES:
        assert len(stage_replies(replies, stage)) == 1, [m.text for m in replies]
    summaries = [m for m in replies if "Run succeeded" in m.text]
    assert len(summaries) == 1
    assert len(replies) == len(STAGES) + 1

    for stage, ref in posted_by_a.items():
        assert b.reporter.message(run.run_id, f"stage:{stage}") == ref, stage
    copy = world.slack.message(posted_by_a[STAGES[2]].ts)  # type: ignore[union-attr]
    assert copy.text.endswith("copy-objects: succeeded"), copy.text
    assert "attempt 2" in visible_text(copy.blocks)
    assert "copied 100 objects" in visible_text(copy.blocks)
    scale = world.slack.message(posted_by_a[STAGES[1]].ts)  # type: ignore[union-attr]
    assert scale.text.endswith("scale-sql: succeeded"), "the state A never landed lands"
    assert all(stage_replies(replies, s)[0].text.endswith("succeeded") for s in STAGES)

    summary = visible_text(summaries[0].blocks)
    assert "not run" not in summary
    assert "check-replication: lag 3s" in summary, "A's RPO evidence is in B's summary"

    assert b.reporter.stats.posts == 3, "B posted only stages 4 and 5 and the summary"
    assert b.reporter.stats.withdrawn == 0
    # Each replica paces its own posts; the channel's budget is shared, so B's first posts may
    # meet a 429 right after A's: every one is honoured, none is lost.
    honoured = a.reporter.stats.rate_limited + b.reporter.stats.rate_limited
    assert honoured == len(world.slack.rate_limit_breaches())


def test_two_replicas_posting_one_stage_at_once_leave_one_message(world: World) -> None:
    a = world.replica("replica-a")
    run, root = propose(world, a)
    b = world.replica("replica-b")
    executor = world.execute(a, run.run_id)
    e = executor.event
    [started] = executor.write(e(EventKind.RUN_STARTED), run=running(run, executor))
    # Both have seen the run, and found no stage message in the Store, before either posts.
    a.reporter.on_event(started)
    b.reporter.on_event(started)
    [stage] = executor.write(e(EventKind.STAGE_STARTED, STAGES[0], attempt=1))
    a.reporter.on_event(stage)
    b.reporter.on_event(stage)
    assert a.reporter.flush(SETTLE)
    assert b.reporter.flush(SETTLE)

    role = f"stage:{STAGES[0]}"
    kept = a.reporter.message(run.run_id, role)
    assert kept is not None
    assert b.reporter.message(run.run_id, role) == kept
    assert a.reporter.stats.posts + b.reporter.stats.posts == 3  # the proposal, two copies
    assert a.reporter.stats.withdrawn + b.reporter.stats.withdrawn == 1
    assert [m.ts for m in world.thread(root)] == [kept.ts]

    for done in executor.write(e(EventKind.STAGE_SUCCEEDED, STAGES[0], message="lag 1s")):
        b.reporter.on_event(done)
    assert b.reporter.flush(SETTLE)
    assert world.slack.message(kept.ts).text.endswith("check-replication: succeeded")
    assert len(world.thread(root)) == 1


def test_the_first_record_of_a_message_holds_its_role(world: World) -> None:
    a, b = world.replica("replica-a"), world.replica("replica-b")
    first, second = MessageRef("C1", "1.000100"), MessageRef("C1", "1.000200")
    assert a.desk.messages.remember("r1", "stage:s1", first) == first
    assert b.desk.messages.remember("r1", "stage:s1", second) == first
    assert a.desk.messages.remember("r1", "summary", second) == second
    assert b.desk.messages.find("r1", "stage:s1") == first
    assert a.desk.messages.of("r1") == {"stage:s1": first, "summary": second}
    assert a.desk.messages.of("r2") == {}


def test_a_location_an_earlier_release_recorded_still_holds_its_role(world: World) -> None:
    a = world.replica("replica-a")
    earlier = MessageRef("C1", "1.000100")
    a.store.append_audit(
        AuditEvent(
            world.clock.now(), BOT, Surface.SLACK, "slack.message", "r1", "stage:s1 C1 1.000100"
        )
    )
    assert a.desk.messages.remember("r1", "stage:s1", MessageRef("C1", "1.000200")) == earlier
    assert a.desk.messages.of("r1") == {"stage:s1": earlier}


def test_an_unreadable_location_is_passed_over(world: World) -> None:
    a = world.replica("replica-a")
    a.store.append_audit(
        AuditEvent(world.clock.now(), BOT, Surface.SLACK, AuditAction.MESSAGE_POSTED, "r1", "{")
    )
    assert a.desk.messages.of("r1") == {}
    summary = MessageRef("C1", "1.000300")
    assert a.desk.messages.remember("r1", "summary", summary) == summary


class DownForAudit:
    """A store whose audit log cannot be written while ``down`` (the rest still answers)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.down = False

    def append_audit(self, event: AuditEvent) -> AuditEvent:
        if self.down:
            raise StoreUnavailable("the store does not answer")
        return self.inner.append_audit(event)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_message_whose_record_failed_is_edited_not_posted_again(world: World) -> None:
    flaky = DownForAudit(world.open_store())
    a = world.replica("replica-a", cast(Store, flaky))
    run, root = propose(world, a)
    executor = world.execute(a, run.run_id)
    e = executor.event
    flaky.down = True
    executor.report(
        e(EventKind.RUN_STARTED),
        e(EventKind.STAGE_STARTED, STAGES[0], attempt=1),
        run=running(run, executor),
    )
    assert a.reporter.flush(SETTLE)
    executor.report(e(EventKind.STAGE_SUCCEEDED, STAGES[0], message="lag 1s"))
    assert a.reporter.flush(SETTLE)

    [reply] = world.thread(root)
    assert reply.text.endswith("check-replication: succeeded")
    assert a.reporter.stats.posts == 2, "the proposal and the stage, each once"
    flaky.down = False
    assert a.desk.messages.find(run.run_id, f"stage:{STAGES[0]}") is None


def test_a_reporter_folds_the_events_it_was_not_handed_before_its_next_one(
    world: World,
) -> None:
    """Another process wrote events of a run this reporter follows (the command line skipping
    a stage, a replica that held the run meanwhile): the next event it is handed brings them
    in from the Store, so no stage is left showing a state it left."""
    a = world.replica("replica-a")
    run, root = propose(world, a)
    run_a = world.execute(a, run.run_id)
    e = run_a.event
    run_a.report(e(EventKind.RUN_STARTED), run=running(run, run_a))
    run_a.report(e(EventKind.STAGE_STARTED, STAGES[0], attempt=1))
    assert a.reporter.flush(SETTLE)
    run_a.write(
        e(EventKind.STAGE_SKIPPED, STAGES[0], message="skipped by UDAVE", by="UDAVE"),
        e(EventKind.STAGE_STARTED, STAGES[1], attempt=1),
    )
    run_a.report(e(EventKind.STAGE_SUCCEEDED, STAGES[1], message="scaled"))
    assert a.reporter.flush(SETTLE)
    replies = world.thread(root)
    [first] = stage_replies(replies, STAGES[0])
    assert first.text.endswith("check-replication: skipped"), first.text
    assert "skipped by <@UDAVE>" in visible_text(first.blocks)
    [second] = stage_replies(replies, STAGES[1])
    assert second.text.endswith("scale-sql: succeeded")
    assert len(replies) == 2

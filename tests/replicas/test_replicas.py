"""Running as several replicas: three real ``phoenix run`` processes on one real Redis and the
Slack emulator. Every slot is evaluated exactly once, by the one leader; one proposal per
incident; a leader killed with SIGKILL is replaced within the leader lease (plus an interval)
with no slot evaluated twice and no second proposal; an executor killed mid-stage leaves a run
that another replica's sweeper completes, each stage's side effect exactly once, and the
incident thread still holds one message per stage, edited by the replica that took over.

The tests share one cluster and run in the order written (the later ones kill replicas).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest

from bot.leader import LEADER_LEASE
from engine.adapters.clock import SystemClock
from engine.incidents.audit import AuditTrail
from engine.incidents.messages import MessageLocations
from engine.records import Incident, IncidentStatus, Lease
from engine.runs import RunState, StageState, run_lease_name
from handlers.ids import ActionId
from sandbox.slack import Message
from sandbox.slack.visible import visible_text
from tests.replicas.cluster import (
    INTERVAL,
    LEADER_TTL,
    RUN_LEASE_TTL,
    SMOKE_JOB,
    SWEEP_INTERVAL,
    Cluster,
    slot_of,
    wait_mid_slot,
)
from tests.replicas.conftest import World
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

CHANNEL = "#incidents"
BREACH = {"a": 503, "b": 503}  # service-a and service-b down: 8 points, level 2
HEALTHY = {"a": 200, "b": 200}


def history_slots(world: World) -> list[int]:
    """The slot of every evaluation in the score history, oldest first."""
    return [slot_of(sample.at.timestamp()) for sample in world.store.score_history()]


def assert_every_slot_once(slots: list[int]) -> None:
    duplicates = sorted(s for s, n in Counter(slots).items() if n > 1)
    assert not duplicates, f"slots evaluated twice: {duplicates}"
    assert slots == sorted(slots), f"evaluations out of order: {slots}"
    missing = sorted(set(range(slots[0], slots[-1] + 1)) - set(slots))
    assert not missing, f"slots never evaluated: {missing}"
    assert len(slots) == slots[-1] - slots[0] + 1


def lease(world: World, name: str = LEADER_LEASE) -> Lease | None:
    return world.store.get_lease(name)


def successor(world: World, before: Lease, name: str = LEADER_LEASE) -> Lease | None:
    """The lease ``name`` if someone other than ``before``'s owner holds it now."""
    held = lease(world, name)
    return held if held is not None and held.owner != before.owner else None


class LeaderWatch:
    """Samples, while the test waits, who holds the leader lease and which replicas' /metrics
    say they lead: never two at once, and the one that says so holds the lease."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.samples = 0
        self.owners: list[str] = []

    def check(self) -> None:
        cluster: Cluster = self.world.cluster
        before = lease(self.world)
        leading = cluster.leaders()
        after = lease(self.world)
        assert len(leading) <= 1, f"two replicas lead at once: {[r.name for r in leading]}"
        self.samples += 1
        if before is None or after is None or before.token != after.token:
            return  # the lease changed hands while we looked
        if not self.owners or self.owners[-1] != before.owner:
            self.owners.append(before.owner)
        if leading:
            assert leading[0] is cluster.by_owner(before.owner), "a replica leads without lease"

    def until(self, what: str, predicate: Callable[[], object], timeout: float) -> None:
        def probe() -> object:
            self.check()
            return predicate()

        wait_until(probe, timeout, what, every=0.05)


def open_incidents(world: World) -> list[Incident]:
    return world.store.list_incidents(open_only=True)


def proposals(world: World) -> list[Message]:
    """Top-level messages in the channel that show a proposal."""
    run_ids = {run.run_id for run in world.store.list_runs(limit=1000)}
    return [
        m
        for m in world.slack.messages(CHANNEL)
        if any(run_id in m.text or run_id in visible_text(m.blocks) for run_id in run_ids)
    ]


def message_of(world: World, run_id: str) -> list[Message]:
    return [
        m
        for m in world.slack.messages(CHANNEL)
        if run_id in m.text or run_id in visible_text(m.blocks)
    ]


def assert_one_proposal_per_incident(world: World) -> None:
    incidents = world.store.list_incidents(limit=100)
    for incident in incidents:
        root = incident.run_ids[0]
        assert len(message_of(world, root)) == 1, f"incident {incident.incident_id}: proposals"
    assert len(proposals(world)) == len(incidents), [m.text for m in proposals(world)]


def settled_counts(world: World) -> tuple[list[int], int]:
    """The history's slots and the replicas' evaluation counters, read between two
    evaluations (mid-slot) and twice over, so neither moves while they are compared."""
    for _ in range(20):
        wait_mid_slot()
        counted = world.cluster.evaluations()
        slots = history_slots(world)
        if world.cluster.evaluations() == counted and len(history_slots(world)) == len(slots):
            return slots, counted
    raise AssertionError("the evaluations never stood still long enough to be counted")


def breach_open(world: World, watch: LeaderWatch | None = None) -> Incident:
    world.health.set(**BREACH)
    what = "an incident opened by the breach"
    if watch is not None:
        watch.until(what, lambda: open_incidents(world), 10 * INTERVAL)
    else:
        wait_until(lambda: open_incidents(world), 10 * INTERVAL, what)
    [incident] = open_incidents(world)
    return incident


def test_every_slot_once_by_one_leader_and_one_proposal_per_incident(world: World) -> None:
    watch = LeaderWatch(world)
    watch.until("a first evaluation", lambda: world.store.score_history(limit=1), 15)
    start = history_slots(world)[-1]

    watch.until("three healthy evaluations", lambda: history_slots(world)[-1] >= start + 3, 10)
    assert not proposals(world), "nothing to propose while healthy"

    first = breach_open(world, watch)
    wait_until(lambda: message_of(world, first.run_ids[0]), 10, "the first proposal")
    opened_at = history_slots(world)[-1]
    watch.until("three more slots", lambda: history_slots(world)[-1] >= opened_at + 3, 10)
    assert [i.incident_id for i in open_incidents(world)] == [first.incident_id]

    world.health.set(**HEALTHY)
    watch.until("the first incident resolved", lambda: not open_incidents(world), 10)
    resolved = world.store.list_incidents(limit=10)
    assert [i.status for i in resolved] == [IncidentStatus.RESOLVED]

    second = breach_open(world, watch)
    assert second.incident_id != first.incident_id
    wait_until(lambda: message_of(world, second.run_ids[0]), 10, "the second proposal")
    opened_at = history_slots(world)[-1]
    watch.until("two more slots", lambda: history_slots(world)[-1] >= opened_at + 2, 10)

    slots, counted = settled_counts(world)
    assert_every_slot_once(slots)
    assert len(slots) == counted, f"{len(slots)} evaluations stored, {counted} counted"
    assert len(slots) >= 12
    by_replica = {r.name: r.evaluated_slots() for r in world.cluster.replicas}
    logged = sorted(s for replica_slots in by_replica.values() for s in replica_slots)
    assert logged == slots, f"the replicas logged other evaluations: {by_replica}"
    assert len(watch.owners) == 1, f"leadership changed hands unasked: {watch.owners}"
    assert watch.samples >= 20
    [only] = [name for name, own in by_replica.items() if own]
    assert world.cluster.by_owner(watch.owners[0]).name == only
    assert_one_proposal_per_incident(world)
    assert len(proposals(world)) == 2


def test_a_killed_leader_is_replaced_within_its_lease_and_nothing_is_done_twice(
    world: World,
) -> None:
    cluster = world.cluster
    incident = open_incidents(world)[0] if open_incidents(world) else breach_open(world)
    wait_until(lambda: message_of(world, incident.run_ids[0]), 10, "the proposal")
    before = len(proposals(world))
    old = lease(world)
    assert old is not None
    victim = cluster.by_owner(old.owner)

    wait_mid_slot()  # not mid-evaluation: a kill then would lose the slot it claimed
    last_before = history_slots(world)[-1]
    killed_at = time.time()
    cluster.kill(victim)
    new = wait_until(
        lambda: successor(world, old),
        LEADER_TTL + INTERVAL + 2,
        "a new leader",
        every=0.01,
    )
    took = time.time() - killed_at
    assert took <= LEADER_TTL + INTERVAL, f"the new leader took over after {took:.2f}s"
    assert new.token > old.token
    heir = cluster.by_owner(new.owner)
    assert heir is not victim

    wait_until(lambda: history_slots(world)[-1] >= last_before + 3, 6 * INTERVAL, "3 new slots")
    samples = world.store.score_history()
    after = [s for s in samples if slot_of(s.at.timestamp()) > last_before]
    first_new = after[0].at.timestamp()
    assert first_new - killed_at <= LEADER_TTL + INTERVAL, (
        f"first evaluation {first_new - killed_at:.2f}s after the kill"
    )
    assert slot_of(first_new) == last_before + 1, "a slot was lost at the takeover"

    slots, counted = settled_counts(world)
    assert_every_slot_once(slots)
    by_replica = {r.name: set(r.evaluated_slots()) for r in cluster.replicas}
    assert not by_replica[victim.name] & by_replica[heir.name]
    assert max(by_replica[victim.name]) == last_before
    evaluated = sum(len(own) for own in by_replica.values())
    assert evaluated == len(slots), f"{evaluated} evaluations logged, {len(slots)} stored"
    victims = [r for r in cluster.replicas if not r.alive]
    assert counted + sum(len(by_replica[r.name]) for r in victims) == len(slots)
    assert min(s for s in by_replica[heir.name] if s > last_before) == last_before + 1
    assert cluster.leaders() == [heir]
    assert len(proposals(world)) == before, "the takeover proposed again"
    assert_one_proposal_per_incident(world)


def ledger_lines(world: World) -> list[str]:
    if not world.ledger.exists():
        return []
    return world.ledger.read_text().splitlines()


def test_an_executor_killed_mid_stage_is_resumed_and_each_stage_acts_once(world: World) -> None:
    slack, store, cluster, jenkins = world.slack, world.store, world.cluster, world.jenkins
    assert len(cluster.alive) >= 2, "the resume needs a second replica"
    incident = open_incidents(world)[0] if open_incidents(world) else breach_open(world)
    run_id = incident.run_ids[0]
    [message] = wait_until(lambda: message_of(world, run_id), 10, "the proposal")
    wait_until(lambda: ActionId.APPROVE in slack.message(message.ts).action_ids, 10, "buttons")

    alive = len(cluster.alive)
    wait_until(lambda: slack.socket_connections() == alive, 10, "no connection of a dead replica")
    click = slack.click(ActionId.APPROVE, user="UALICE", message_ts=message.ts)
    assert click.on_time, click
    wait_until(lambda: jenkins.triggers == 1, 15, f"the smoke job triggered{cluster}")
    build = jenkins.start_next()
    assert ledger_lines(world) == [f"{run_id}:fence"]
    stages = {r.stage: r for r in store.get_stages(run_id)}
    assert stages["smoke"].state is StageState.RUNNING
    assert store.get_run(run_id).state is RunState.RUNNING  # type: ignore[union-attr]

    held = wait_until(lambda: lease(world, run_lease_name(run_id)), 5, "the run's lease")
    executor = cluster.by_owner(held.owner)

    def shown() -> dict[str, str] | None:
        """Killed once the thread shows the running stage: a kill between a post and its
        record would leave a second copy of that one message, which the design accepts."""
        found = stage_messages(world, run_id)
        return found if {"stage:fence", "stage:smoke"} <= found.keys() else None

    posted = wait_until(shown, 15, f"the executor's stage messages{cluster}")
    killed_at = time.monotonic()
    cluster.kill(executor)
    resumed = wait_until(
        lambda: successor(world, held, run_lease_name(run_id)),
        RUN_LEASE_TTL + SWEEP_INTERVAL + 5,
        f"another replica resuming the run{cluster}",
        every=0.01,
    )
    took = time.monotonic() - killed_at
    assert took <= RUN_LEASE_TTL + 2 * SWEEP_INTERVAL + 1.0, f"resumed after {took:.2f}s"
    heir = cluster.by_owner(resumed.owner)
    assert heir is not executor
    assert heir.alive

    jenkins.finish(SMOKE_JOB, build, "SUCCESS")
    wait_until(
        lambda: store.get_run(run_id).state is RunState.SUCCEEDED,  # type: ignore[union-attr]
        15,
        f"the run to succeed{cluster}",
    )
    assert ledger_lines(world) == [f"{run_id}:fence", f"{run_id}:switch"]
    assert jenkins.triggers == 1, "the resumed stage triggered the job again"
    stages = {r.stage: r for r in store.get_stages(run_id)}
    assert all(r.state is StageState.SUCCEEDED for r in stages.values()), stages

    def summaries() -> list[Message]:
        replies = slack.replies(CHANNEL, message.ts)
        return [r for r in replies if "Run succeeded" in r.text]

    wait_until(summaries, 15, f"the summary in the thread{cluster}")
    assert len(summaries()) == 1
    replies = slack.replies(CHANNEL, message.ts)
    for stage in ("fence", "smoke", "switch"):
        assert len([r for r in replies if f" {stage}: " in r.text]) == 1, [r.text for r in replies]
    assert len(replies) == 4, "one message per stage and the summary"
    smoke = posted["stage:smoke"]
    wait_until(
        lambda: slack.message(smoke).text.endswith("smoke: succeeded"),
        15,
        f"the heir to edit the smoke stage's message{cluster}",
    )
    wait_until(lambda: _shows_success(slack.message(message.ts)), 15, "the proposal to say so")
    assert_one_proposal_per_incident(world)
    assert not list(slack.ack_failures()), "a delivery was not acked on time"


def stage_messages(world: World, run_id: str) -> dict[str, str]:
    """The ts of each of the run's messages recorded in the Store, by role."""
    locations = MessageLocations(AuditTrail(world.store, SystemClock()))
    return {role: ref.ts for role, ref in locations.of(run_id).items()}


def _shows_success(message: Message) -> bool:
    return "Succeeded" in visible_text(message.blocks)


def test_a_leader_killed_mid_evaluation_loses_no_slot(world: World) -> None:
    cluster, health = world.cluster, world.health
    cluster.ensure(2, world.slack)
    old = wait_until(lambda: lease(world), 10, "a leader lease")
    victim = cluster.by_owner(old.owner)
    wait_mid_slot()
    last_before = history_slots(world)[-1]
    health.hold("e")  # only the leader probes: its next evaluation waits on the probe
    try:
        assert health.arrived.wait(2 * INTERVAL), "the leader did not probe"
        cluster.kill(victim)  # it has claimed the slot, it has not stored the evaluation
    finally:
        health.release()
    wait_until(lambda: successor(world, old), LEADER_TTL + INTERVAL + 2, "a new leader")
    wait_until(lambda: history_slots(world)[-1] >= last_before + 3, 6 * INTERVAL, "3 new slots")
    slots = history_slots(world)
    assert victim.evaluated_slots()[-1] == last_before
    assert_every_slot_once(slots)

"""Break-glass in the engine and the bot's feed: a decision from the command line follows the
same rules as a click, needs a reason, is audited with surface ``cli``, and is kept as a note
that the leader hands to Slack until Slack has it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.break_glass_feed import BreakGlassFeed
from engine.adapters.stores.sqlite_store import SqliteStore
from engine.config import parse_config
from engine.incidents.authority import Act
from engine.incidents.breakglass import SUBJECT
from engine.incidents.desk import IncidentDesk
from engine.incidents.messages import MessageRef
from engine.incidents.proposals import Proposal
from engine.model import Level
from engine.plans.model import plan_book
from engine.records import Surface
from engine.runner.execution import RunnerSettings
from engine.runner.runner import Runner
from engine.runs import RunState
from handlers.blocks.kit import Rendered
from handlers.roles import PROPOSAL, break_glass
from sandbox.slack.visible import visible_text
from tests.support.clock import ManualClock
from tests.support.directory import Groups
from tests.support.proposals import open_proposal

CONFIG = parse_config(
    """
environment: production
slack: {approvers: {users: [UALICE, UDAVE]}}
levels:
  dr_failover: {min_score: 11, policy: two-person, plan: dr}
plans:
  dr: {stages: [{name: switch, kind: noop}]}
"""
)


@dataclass
class Board:
    """The ``ProposalBoard`` port, keeping what it was asked to show."""

    published: list[str] = field(default_factory=list)
    shown: list[tuple[str, str, Rendered, tuple[str, str] | None]] = field(default_factory=list)

    def publish(self, proposal: Proposal) -> None:
        self.published.append(proposal.run_id)

    def show(
        self,
        key: str,
        role: str,
        rendered: Rendered,
        *,
        channel: str,
        known: MessageRef | None = None,
        parent: tuple[str, str] | None = None,
    ) -> None:
        self.shown.append((key, role, rendered, parent))


@dataclass
class Kit:
    desk: IncidentDesk
    run_id: str


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[Kit]:
    clock = ManualClock()
    store = SqliteStore(tmp_path / "phoenix.db", clock=clock)
    runner = Runner(store, plan_book(CONFIG), clock=clock, settings=RunnerSettings(executes=False))
    desk = IncidentDesk(runner, CONFIG, clock=clock, groups=Groups())
    run_id = open_proposal(desk, "dr", Level.DR_FAILOVER, "two-person", 14)
    yield Kit(desk, run_id)
    runner.close()
    store.close()


def test_the_same_rules_as_a_click_and_every_attempt_audited_with_surface_cli(kit: Kit) -> None:
    glass = kit.desk.break_glass
    assert not glass.approve(kit.run_id, "UMALLORY", "I can").allowed
    assert not glass.approve(kit.run_id, "UALICE", " \n ").allowed, "a reason is required"
    first = glass.approve(kit.run_id, "UALICE", "primary   lost")
    assert first.allowed
    assert not first.started, "level 3 needs a second person"
    assert not glass.approve(kit.run_id, "UALICE", "again").allowed
    second = glass.approve(kit.run_id, "UDAVE", "agreed")
    assert second.allowed
    assert second.started
    run = kit.desk.store.get_run(kit.run_id)
    assert run is not None
    assert run.state is RunState.RUNNING, "handed over, for a replica's sweep"
    audit = [
        (e.actor, e.surface, e.action)
        for e in kit.desk.store.list_audit(subject=kit.run_id)
        if e.action.startswith("approv")
    ]
    assert audit == [
        ("UMALLORY", Surface.CLI, "approve.refused"),
        ("UALICE", Surface.CLI, "approve.refused"),
        ("UALICE", Surface.CLI, "approval.grant"),
        ("UALICE", Surface.CLI, "approve.refused"),
        ("UDAVE", Surface.CLI, "approval.grant"),
    ]
    notes = glass.notes()
    assert [(n.user, n.note.act, n.note.reason) for n in notes] == [
        ("UALICE", Act.APPROVE, "primary lost"),
        ("UDAVE", Act.APPROVE, "agreed"),
    ], "only decisions taken are notes; the reason with its spaces made single"


def test_the_leader_hands_each_note_to_slack_until_slack_has_it(kit: Kit) -> None:
    kit.desk.break_glass.approve(kit.run_id, "UALICE", "primary lost <!channel>")
    board = Board()
    leading = [False]
    feed = BreakGlassFeed(kit.desk, board, "#incidents", leading=lambda: leading[0])
    assert feed.catch_up() == 0, "only the leader shows them"
    leading[0] = True
    assert feed.catch_up() == 1
    [(key, role, rendered, parent)] = board.shown
    assert board.published == [kit.run_id], "the proposal is edited to its stand"
    assert parent == (kit.run_id, PROPOSAL), "in the proposal's thread"
    [taken] = kit.desk.break_glass.notes()
    assert (key, role) == (SUBJECT, break_glass(taken.seq))
    text = visible_text(rendered.blocks)
    assert "<@UALICE> approved this proposal from the command line (break-glass)" in text
    assert "primary lost &lt;!channel&gt;" in text
    assert feed.catch_up() == 1, "not posted yet (Slack down): handed again"
    kit.desk.messages.remember(SUBJECT, role, MessageRef("CINCIDENTS", "1.0"))
    assert feed.catch_up() == 0, "once posted, never again"

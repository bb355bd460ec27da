"""Who may do what, through the real handlers: every write refused to whoever the table does not
name, with an ephemeral reason and an audit event; read-only answers open to everyone."""

from __future__ import annotations

import pytest

from engine.model import Level
from engine.records import AuditEvent, Surface
from engine.runs import RunState
from handlers.ids import ActionId
from sandbox.slack import Emulator
from sandbox.slack.visible import visible_text
from tests.e2e.support import Rig

STRANGER = "UMALLORY"
"""In the workspace, but neither an approver nor a responder."""


@pytest.fixture
def stranger(rig: Rig) -> str:
    if STRANGER not in {u["id"] for u in rig.slack.users()}:
        rig.slack.add_user("mallory", id=STRANGER)
    return STRANGER


def _answers(slack: Emulator, user: str, count: int) -> list[str]:
    """The text of the first ``count`` ephemeral answers ``user`` sees (the blocks' text when
    there are blocks: what a person reads)."""
    answers = slack.wait_for_ephemeral(user, count)
    return [visible_text(a.blocks) or a.text for a in answers]


def _audit(rig: Rig, subject: str) -> list[AuditEvent]:
    return rig.phoenix.store.list_audit(subject=subject, limit=100)


def test_a_stranger_may_neither_silence_nor_unsilence(rig: Rig, stranger: str) -> None:
    slack = rig.slack
    store = rig.phoenix.store
    now = rig.phoenix.services.clock.now
    slack.run_slash_command("/phoenix", "silence 7d because I can", user=stranger)
    [refused] = _answers(slack, stranger, 1)
    assert "Only configured responders and approvers may silence automatic proposals" in refused
    assert "you are not one of them" in refused
    assert store.list_silences(active_at=now()) == []

    slack.run_slash_command("/phoenix", "silence 1h maintenance", user="UALICE")
    slack.wait_for(lambda: store.list_silences(active_at=now()) or None, what="alice's silence")
    slack.run_slash_command("/phoenix", "unsilence", user=stranger)
    _, refused_again = _answers(slack, stranger, 2)
    assert "may end the active silences" in refused_again
    assert len(store.list_silences(active_at=now())) == 1, "alice's silence holds"

    refusals = [e for e in _audit(rig, "silences") if e.actor == stranger]
    assert [(e.action, e.surface) for e in refusals] == [
        ("silence.refused", Surface.SLACK),
        ("unsilence.refused", Surface.SLACK),
    ]
    assert all("not one of them" in e.detail for e in refusals)


def test_a_stranger_may_not_ask_for_a_failover_or_a_failback(rig: Rig, stranger: str) -> None:
    slack = rig.slack
    before = {r.run_id for r in rig.phoenix.store.list_runs(limit=500)}
    slack.run_slash_command("/phoenix", "failover quick", user=stranger)
    slack.run_slash_command("/phoenix", "failback", user=stranger)
    answers = _answers(slack, stranger, 4)
    assert "may ask for a failover plan" in " ".join(answers)
    assert "may ask for a failback" in " ".join(answers)
    rig.settle()
    assert {r.run_id for r in rig.phoenix.store.list_runs(limit=500)} == before
    assert not [m for m in slack.messages("#incidents") if "quick" in visible_text(m.blocks)]
    assert [e.action for e in _audit(rig, "plan:quick")] == ["failover.refused"]
    assert [e.action for e in _audit(rig, "plan:failback")] == ["failback.refused"]


def test_a_responder_may_ask_and_silence_but_never_decide(rig: Rig) -> None:
    slack = rig.slack
    store = rig.phoenix.store
    for earlier in store.list_silences():
        store.remove_silence(earlier.silence_id)
    slack.run_slash_command("/phoenix", "silence 30m deploying", user="UCAROL")
    [announced] = slack.wait_for_messages("#incidents", 1)
    assert "<@UCAROL> silenced automatic proposals" in announced.text
    slack.run_slash_command("/phoenix", "unsilence", user="UCAROL")
    _, ended = slack.wait_for_messages("#incidents", 2)
    assert "<@UCAROL> ended 1 silence(s)" in ended.text
    carols = [e for e in store.list_audit(limit=50) if e.actor == "UCAROL"]
    assert [(e.action, e.surface) for e in carols] == [
        ("silence.add", Surface.SLACK),
        ("silence.remove", Surface.SLACK),
    ]

    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    slack.click(ActionId.APPROVE, user="UCAROL", message_ts=message.ts)
    slack.click(ActionId.DECLINE, user="UCAROL", message_ts=message.ts)
    slack.click(ActionId.SNOOZE, user="UCAROL", message_ts=message.ts)
    refusals = slack.wait_for_ephemeral("UCAROL", 3)
    texts = sorted(visible_text(r.blocks) for r in refusals)
    assert all("Only configured approvers may" in t for t in texts), texts
    assert slack.open_views("UCAROL") == [], "no decline modal for a responder"
    assert rig.run(proposal.run_id).state is RunState.AWAITING_APPROVAL
    refused = [e.action for e in _audit(rig, proposal.run_id) if e.actor == "UCAROL"]
    assert sorted(refused) == ["approve.refused", "decline.refused", "snooze.refused"]


def test_read_only_answers_are_for_everyone(rig: Rig, stranger: str) -> None:
    slack = rig.slack
    rig.breach(Level.REGION_FAILOVER)
    for text in ("status", "history", "help", "drill list"):
        assert slack.run_slash_command("/phoenix", text, user=stranger).on_time
    status, history, help_, drills = _answers(slack, stranger, 4)
    assert "score 8, level 2" in status
    assert "run(s)" in history
    assert "silence <duration>" in help_
    assert "drill" in drills
    assert not any("Only configured" in t for t in (status, history, help_, drills))

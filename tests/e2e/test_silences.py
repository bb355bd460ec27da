"""A silence in the channel, through the real handlers and the Slack emulator: announced (who,
until when, why), showing in its thread the proposal it holds back (once), edited when someone
ends it; and never hiding a level-3 loss confirmed by quorum, which is proposed marked with it."""

from __future__ import annotations

from dataclasses import replace

from engine.model import Level
from engine.records import IncidentStatus
from sandbox.slack import Message
from sandbox.slack.visible import visible_text
from tests.e2e.support import Rig


def _quiet(rig: Rig) -> None:
    """No silence and no open incident, as ``Rig.breach`` starts, but leaving the silences to
    the test."""
    store = rig.phoenix.store
    for silence in store.list_silences():
        store.remove_silence(silence.silence_id)
    for incident in store.list_incidents(open_only=True):
        store.save_incident(replace(incident, status=IncidentStatus.RESOLVED))


def _announced(rig: Rig, user: str, text: str) -> Message:
    assert rig.slack.run_slash_command("/phoenix", text, user=user).on_time
    return rig.slack.wait_for(
        lambda: next(
            (
                m
                for m in rig.slack.messages("#incidents")
                if "silenced automatic proposals" in visible_text(m.blocks)
            ),
            None,
        ),
        what="the silence's announcement",
    )


def test_a_silence_is_announced_and_shows_what_it_holds_back_once(rig: Rig) -> None:
    _quiet(rig)
    slack = rig.slack
    announcement = _announced(rig, "UALICE", "silence 2h planned <maintenance>")
    [silence] = rig.phoenix.store.list_silences()
    text = visible_text(announcement.blocks)
    assert (
        f":mute: <@UALICE> silenced automatic proposals until {silence.until:%Y-%m-%d %H:%M} "
        "UTC: planned &lt;maintenance&gt;"
    ) in text
    assert "A level-3 loss confirmed by quorum is still proposed" in text

    first = rig.evaluate(Level.REGION_FAILOVER)
    assert first.judgement.held
    again = rig.evaluate(Level.REGION_FAILOVER)
    assert again.judgement.held
    rig.settle()
    [held] = slack.replies("#incidents", announcement.ts)
    note = visible_text(held.blocks)
    assert "Level 2 (region failover) held back by a silence" in note
    assert "plan `quick` · score 8" in note
    assert "<@UALICE> silenced automatic proposals until" in note
    assert "`service-a` down" in note
    assert [m.ts for m in slack.messages("#incidents")] == [announcement.ts], "no proposal"

    slack.run_slash_command("/phoenix", "unsilence", user="UBOB")
    slack.wait_for(
        lambda: "Ended by <@UBOB>" in visible_text(slack.message(announcement.ts).blocks),
        what="the announcement edited to say who ended it",
    )
    [_, ended] = slack.wait_for_messages("#incidents", 2)
    assert "<@UBOB> ended 1 silence(s)" in ended.text


def test_a_level3_loss_confirmed_by_quorum_is_proposed_past_a_silence(rig: Rig) -> None:
    _quiet(rig)
    _announced(rig, "UALICE", "silence 1h datacentre move")
    outcome = rig.evaluate(Level.DR_FAILOVER)
    assert not outcome.judgement.held
    proposal = outcome.incidents.proposed
    assert proposal is not None
    message = rig.posted(proposal.run_id)
    text = visible_text(message.blocks)
    assert ":mute: *Proposed although silenced* — <@UALICE> silenced automatic proposals" in text
    assert "datacentre move" in text
    assert "never held back" in text
    assert message.action_ids, "it waits for approvals as any level-3 proposal"

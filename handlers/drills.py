"""Drills in Slack: ``/phoenix drill list | run <name> | skip <name>`` and the Postpone / Skip
buttons of a drill announcement. Ack first, one engine call, then the announcement is edited
in place and a note goes in its thread; a refused click gets an ephemeral sentence. The work
after the ack is the request's followup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from engine.drills.desk import DrillDesk, DrillOutcome
from engine.drills.history import subject
from engine.drills.schedule import DrillNote, Occurrence
from engine.incidents.messages import MessageRef
from handlers import blocks, parsing
from handlers.buttons import acked
from handlers.context import Services
from handlers.ids import ActionId
from handlers.payloads import Click, DrillButton, SlashCommand


def announcement_role(occurrence: Occurrence, announcement: DrillNote) -> str:
    """The message of one announcement: each is posted on its own (people are notified of
    every one) and edited in place as the occurrence moves on."""
    offsets = ",".join(f"{o:g}" for o in announcement.offsets)
    return f"announce:{occurrence.key}:{announcement.due:%Y%m%dT%H%MZ}:{offsets}"


def channel_of(svc: Services, drill_channel: str | None) -> str:
    return drill_channel or svc.channel


def _desk(svc: Services) -> DrillDesk:
    if svc.drills is None:
        raise LookupError("the drill desk is missing from the bot's services")
    return svc.drills


def show_outcome(
    svc: Services, outcome: DrillOutcome, said: str, known: MessageRef | None = None
) -> None:
    """Edit every announcement of the occurrence to its new state (who postponed it and when,
    the new time; skipped) and note who did what (``said``) in the thread of the one clicked
    (``known``), or else of the latest. Nothing is posted when the occurrence was never
    announced."""
    drill, occurrence = outcome.drill, outcome.occurrence
    if drill is None or occurrence is None:
        return
    key = subject(drill.name)
    rendered = blocks.drill_announcement(drill, occurrence)
    shown: list[tuple[str, MessageRef]] = []
    for announcement in occurrence.announcements:
        role = announcement_role(occurrence, announcement)
        ref = svc.desk.messages.find(key, role)
        if ref is not None:
            shown.append((role, ref))
    if known is not None and known not in [ref for _, ref in shown]:
        # A message the Store does not name (posted before announcements had a role each).
        shown.append((f"announce:{occurrence.key}", known))
    if not shown:
        return
    for role, ref in shown:
        svc.board.show(key, role, rendered, channel=ref.channel, known=ref)
    thread = next(((role, ref) for role, ref in shown if ref == known), shown[-1])
    svc.board.show(
        key,
        f"note:{occurrence.key}:{svc.clock.now().timestamp()}",
        blocks.thread_note(said),
        channel=thread[1].channel,
        parent=(key, thread[0]),
    )


def on_drill_command(
    svc: Services,
    parsed: parsing.DrillList | parsing.DrillRun | parsing.DrillSkip,
    payload: SlashCommand,
    ack: Ack,
    respond: Respond,
    first: Callable[[], bool],
) -> None:
    desk = _desk(svc)
    if isinstance(parsed, parsing.DrillList):
        ack(response_type="ephemeral", **blocks.drill_list_message(desk.agenda()).as_kwargs())
        return
    ack()
    svc.followup(
        payload.model_dump(), lambda: _drill_now(svc, desk, parsed, payload, respond, first)
    )


def _drill_now(
    svc: Services,
    desk: DrillDesk,
    parsed: parsing.DrillRun | parsing.DrillSkip,
    payload: SlashCommand,
    respond: Respond,
    first: Callable[[], bool],
) -> None:
    if not first():
        return
    user = payload.user_id
    if isinstance(parsed, parsing.DrillRun):
        outcome = desk.run_now(parsed.name, user)
        said = blocks.drill_done(outcome, user, "run")
    else:
        outcome = desk.skip(parsed.name, None, user)
        said = blocks.drill_done(outcome, user, "skip")
        if outcome.allowed:
            show_outcome(svc, outcome, said)
    respond(response_type="in_channel" if outcome.allowed else "ephemeral", text=said)


def _drill_click(verb: str) -> Callable[..., None]:
    def on_click(svc: Services, click: Click, client: WebClient) -> None:
        desk = _desk(svc)
        button = DrillButton.decode(click.value)
        if button is None:
            tell(client, svc, click.channel_id, click.user_id, "That button is not a drill's.")
            return
        if verb == "skip":
            outcome = desk.skip(button.drill, button.scheduled, click.user_id)
        else:
            outcome = desk.postpone(button.drill, button.scheduled, button.due, verb, click.user_id)
        if not outcome.allowed:
            tell(client, svc, click.channel_id, click.user_id, blocks.drill_refusal(outcome))
            return
        known = None
        if click.channel_id and click.message_ts:
            known = MessageRef(click.channel_id, click.message_ts)
        show_outcome(svc, outcome, blocks.drill_done(outcome, click.user_id, verb), known)

    on_click.__name__ = f"on_drill_{verb}"
    return acked(on_click)


def tell(client: WebClient, svc: Services, channel: str | None, user: str, text: str) -> None:
    client.chat_postEphemeral(
        channel=channel or svc.channel, user=user, **blocks.notice(text).as_kwargs()
    )


LISTENERS: dict[ActionId, Any] = {
    ActionId.DRILL_POSTPONE_HOUR: _drill_click("1h"),
    ActionId.DRILL_POSTPONE_DAY: _drill_click("1d"),
    ActionId.DRILL_SKIP: _drill_click("skip"),
}

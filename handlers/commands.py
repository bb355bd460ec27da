"""``/phoenix``: parse, ack, one engine call, respond.

Read-only subcommands (status, history, readiness, help, usage) are answered in the ack
itself, from the Store. The others ack at once and hand their one write to the request's
followup, off the thread that answers Slack; their answer follows through the response URL, and
a proposal is posted to the incident channel by the board.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, Respond

from engine.incidents.silences import snoozed_run
from engine.records import Surface
from engine.status import history_report, status_report
from handlers import blocks, drills, parsing
from handlers.context import Services, services
from handlers.payloads import SlashCommand, read
from handlers.roles import SILENCE

log = logging.getLogger(__name__)

_DEDUPE = timedelta(hours=1)


def on_phoenix(ack: Ack, command: dict[str, Any], context: Any, respond: Respond) -> None:
    payload = read(SlashCommand, command, "slash command")
    svc = services(context)
    parsed = parsing.parse(
        payload.text,
        plans=svc.desk.runner.plans.keys(),
        signals=[s.name for s in svc.config.signals],
        drills=[d.name for d in svc.config.drills],
    )
    if isinstance(parsed, parsing.Usage):
        ack(
            response_type="ephemeral",
            **blocks.usage_message(parsed.problem, parsed.suggestion).as_kwargs(),
        )
        return
    if isinstance(parsed, parsing.Help):
        ack(response_type="ephemeral", **blocks.help_message().as_kwargs())
        return
    if isinstance(parsed, parsing.DrillList | parsing.DrillRun | parsing.DrillSkip):
        drills.on_drill_command(svc, parsed, payload, ack, respond, lambda: _first(svc, payload))
        return
    if isinstance(parsed, parsing.Status):
        report = status_report(
            svc.desk, svc.config, svc.clock.now(), parsed.service, drills=svc.drills
        )
        ack(response_type="ephemeral", **blocks.status_message(report).as_kwargs())
        return
    if isinstance(parsed, parsing.Readiness):
        sweep = svc.desk.store.latest_readiness()
        ack(
            response_type="ephemeral",
            **blocks.readiness_message(sweep, svc.clock.now()).as_kwargs(),
        )
        return
    if isinstance(parsed, parsing.History):
        report_ = history_report(svc.desk, parsed.count)
        ack(response_type="ephemeral", **blocks.history_message(report_).as_kwargs())
        return
    if isinstance(parsed, parsing.Failover | parsing.Failback):
        plan = parsed.plan if isinstance(parsed, parsing.Failover) else "failback"
        ack(response_type="ephemeral", text=f"Proposing plan {plan} in {svc.channel}…")
        svc.followup(command, lambda: _propose(svc, payload, plan, respond))
        return
    ack()
    if isinstance(parsed, parsing.Silence):
        svc.followup(command, lambda: _silence(svc, payload, parsed, respond))
        return
    svc.followup(command, lambda: _unsilence(svc, payload, respond))


def _silence(
    svc: Services, payload: SlashCommand, parsed: parsing.Silence, respond: Respond
) -> None:
    if not _first(svc, payload):
        return
    outcome = svc.desk.requests.silence(
        parsed.duration, parsed.reason, payload.user_id, Surface.SLACK
    )
    if not outcome.allowed:
        respond(response_type="ephemeral", **blocks.notice(outcome.explanation).as_kwargs())
        return
    for silence in outcome.silences:
        svc.board.show(
            silence.silence_id, SILENCE, blocks.silence_message(silence), channel=svc.channel
        )


def _unsilence(svc: Services, payload: SlashCommand, respond: Respond) -> None:
    if not _first(svc, payload):
        return
    outcome = svc.desk.requests.unsilence(payload.user_id, Surface.SLACK)
    if not outcome.allowed or not outcome.silences:
        respond(response_type="ephemeral", **blocks.notice(outcome.explanation).as_kwargs())
        return
    now = svc.clock.now()
    for silence in outcome.silences:
        if snoozed_run(silence) is not None:
            continue  # a snooze has no announcement: its proposal says until when
        ended = blocks.silence_message(silence, ended_by=payload.user_id, ended_at=now)
        svc.board.show(silence.silence_id, SILENCE, ended, channel=svc.channel)
    respond(
        response_type="in_channel",
        text=(
            f"{blocks.mention(payload.user_id)} ended {len(outcome.silences)} silence(s): "
            "automatic proposals are back on."
        ),
    )


def _first(svc: Services, payload: SlashCommand) -> bool:
    """False for a redelivery of a command already handled (its trigger id was claimed)."""
    if not payload.trigger_id:
        return True
    return svc.desk.store.claim(f"command:{payload.trigger_id}", _DEDUPE)


def _propose(svc: Services, payload: SlashCommand, plan: str, respond: Respond) -> None:
    if not _first(svc, payload):
        return
    outcome = svc.desk.requests.plan(plan, payload.user_id, Surface.SLACK)
    if not outcome.allowed or outcome.proposal is None:
        respond(response_type="ephemeral", **blocks.notice(outcome.explanation).as_kwargs())
        return
    svc.board.publish(outcome.proposal)

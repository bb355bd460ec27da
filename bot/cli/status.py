"""`phoenix status`: what the bot believes now, read from its store — what `/phoenix status`
answers in Slack, for when Slack cannot be reached: the score and level, the open incident, the
run in progress (and its proposal's approvals), the silences, the breakdown, the drills."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from bot.cli import exits
from bot.cli.invocation import Invocation
from bot.cli.output import Output, Style
from bot.cli.parser import Commands, add_config_option, add_json_option, add_store_option

if TYPE_CHECKING:
    from engine.status import StatusReport

LEVEL_NAMES = {0: "healthy", 1: "self-healing", 2: "region failover", 3: "DR failover to Azure"}


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    status = commands.add_parser(
        "status",
        help="what the bot believes now: score, level, incident, run, approvals, silences",
        description="What `/phoenix status` answers in Slack, read from the bot's store: for "
        "when Slack cannot be reached (with the break-glass commands).",
    )
    add_config_option(status)
    add_store_option(status)
    add_json_option(status, "the status")
    status.set_defaults(func=show_status)


def show_status(invocation: Invocation) -> int:
    from bot.cli.desk import open_desk
    from engine.status import status_report

    with open_desk(invocation) as opened:
        report = status_report(
            opened.desk,
            opened.config,
            opened.desk.clock.now(),
            drills=opened.drills,
        )
    if invocation.json:
        invocation.out.json(status_as_dict(report))
    else:
        render(invocation.out, report)
    return exits.OK


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%SZ") if at else "-"


def status_as_dict(report: StatusReport) -> dict[str, object]:
    proposal = report.proposal
    return {
        "environment": report.environment,
        "evaluated_at": report.evaluated_at.isoformat() if report.evaluated_at else None,
        "score": report.score,
        "level": int(report.level),
        "reason": report.reason,
        "requested_by": report.requested_by,
        "incident": None
        if report.incident is None
        else {
            "id": report.incident.incident_id,
            "title": report.incident.title,
            "opened_at": report.incident.opened_at.isoformat(),
        },
        "run": None
        if report.run is None
        else {"id": report.run.run_id, "plan": report.run.plan, "state": report.run.state.value},
        "stage": None
        if report.stage is None
        else {"name": report.stage.name, "number": report.stage.number, "of": report.stage.of},
        "proposal": None
        if proposal is None
        else {
            "stand": proposal.stand.value,
            "required": proposal.record.required,
            "expires_at": proposal.record.expires_at.isoformat(),
            "approvals": [
                {"user": a.user, "surface": a.surface.value, "at": a.at.isoformat()}
                for a in proposal.approvals
            ],
        },
        "silences": [
            {"by": s.created_by, "until": s.until.isoformat(), "reason": s.reason}
            for s in report.silences
        ],
        "held": list(report.held),
        "breakdown": [
            {"signal": line.signal, "status": line.status, "points": line.points}
            for line in report.breakdown
        ],
    }


def render(out: Output, report: StatusReport) -> None:
    score = "-" if report.score is None else str(report.score)
    level = out.paint(f"level {report.level:d}", Style.BOLD)
    out.line(f"{report.environment}: score {score}, {level} ({LEVEL_NAMES[int(report.level)]})")
    why = report.reason + (f" by {report.requested_by}" if report.requested_by else "")
    out.line(f"  why: {why}")
    out.line(f"  last evaluation: {_when(report.evaluated_at)}")
    incident = report.incident
    out.line(
        f"incident: {incident.title} ({incident.incident_id}, opened {_when(incident.opened_at)})"
        if incident
        else "incident: none open"
    )
    run = report.run
    if run is None:
        out.line("run: none")
    else:
        line = f"run: {out.paint(run.run_id, Style.BOLD)} plan {run.plan}, {run.state.value}"
        if report.stage is not None:
            stage = report.stage
            line += f", stage {stage.number} of {stage.of}: {stage.name} ({stage.state.value})"
        out.line(line)
    proposal = report.proposal
    if proposal is not None and proposal.stand.waiting:
        given = ", ".join(f"{a.user} via {a.surface.value}" for a in proposal.approvals)
        out.line(
            f"  {out.paint('waiting for approval', Style.YELLOW)}: "
            f"{len(proposal.approvals)} of {proposal.record.required} ({given or 'none yet'}), "
            f"expires {_when(proposal.record.expires_at)}"
        )
    for silence in report.silences:
        out.line(f"silenced until {_when(silence.until)} by {silence.created_by}: {silence.reason}")
    if not report.silences:
        out.line("silences: none")
    for held in report.held:
        out.line(f"held back: {held}")
    if report.breakdown:
        out.line()
        out.table(
            ("SIGNAL", "STATUS", "POINTS"),
            ((line.signal, line.status or "-", str(line.points)) for line in report.breakdown),
        )

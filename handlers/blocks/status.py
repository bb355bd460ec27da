"""What `/phoenix status`, `history`, `help` and the App Home show."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
)
from slack_sdk.models.views import View

from engine.duration import format_duration
from engine.records import BOT
from engine.status import HistoryReport, StatusReport
from handlers.blocks.drills import agenda_line
from handlers.blocks.kit import (
    LEVEL_NAMES,
    Json,
    Rendered,
    context,
    dump,
    duration_text,
    escape,
    md,
    mention,
    utc_time,
)
from handlers.blocks.proposals import breakdown_text
from handlers.blocks.readiness import home_readiness
from handlers.ids import COMMAND

SUBCOMMANDS: dict[str, str] = {
    "status": "status [service] — score, level, breakdown, incident, run, silences",
    "history": "history [N] — the last N runs (default 5)",
    "failover": "failover <plan> — propose a plan; it needs the usual approvals",
    "failback": "failback — propose returning from Azure to AWS",
    "silence": "silence <duration> [reason] — no automatic proposals for a while",
    "unsilence": "unsilence — end every active silence",
    "drill": "drill list | run <name> | skip <name> — scheduled DR drills",
    "readiness": "readiness — whether the DR side is ready, and a failover's RTO and RPO now",
    "help": "help — this list",
}


def status_message(report: StatusReport) -> Rendered:
    score = "—" if report.score is None else str(report.score)
    title = (
        f"{report.environment}: score {score}, level {report.level:d} ({LEVEL_NAMES[report.level]})"
    )
    why = escape(report.reason)
    if report.requested_by is not None:
        why += f" by {mention(report.requested_by)}"
    lines = [f"*{escape(title)}*", f"*Why:* {why}"]
    lines.append(f"*Last evaluation:* {utc_time(report.evaluated_at)}")
    if report.incident is not None:
        lines.append(
            f"*Incident:* {escape(report.incident.title)} (`{report.incident.incident_id}`, "
            f"opened {utc_time(report.incident.opened_at)})"
        )
    else:
        lines.append("*Incident:* none open")
    if report.run is not None:
        run = report.run
        line = f"*Run:* `{run.run_id}` plan `{escape(run.plan)}` — {run.state.value}"
        if report.stage is not None:
            stage = report.stage
            line += f", stage {stage.number} of {stage.of}: {escape(stage.name)} ({stage.state})"
        lines.append(line)
    else:
        lines.append("*Run:* none")
    if report.silences:
        lines.append(
            "*Silences:* "
            + "; ".join(
                f"until {s.until:%Y-%m-%d %H:%M} UTC by {mention(s.created_by)} "
                f"({escape(s.reason)})"
                for s in report.silences
            )
        )
    else:
        lines.append("*Silences:* none")
    held = [
        f"silenced until {s.until:%Y-%m-%d %H:%M} UTC by {mention(s.created_by)}"
        for s in report.silences
    ] + [escape(line) for line in report.held]
    if held:
        lines.append("*Proposals held back:* " + "; ".join(held))
    if report.agenda:
        lines.append("*Next drills:* " + "; ".join(agenda_line(item) for item in report.agenda))
    lines.append(f"*Last drill:* {_drill_result(report)}")
    where = f" for `{escape(report.service)}`" if report.service else ""
    blocks: list[Block] = [
        md("\n".join(lines)),
        md(f"*Breakdown{where}*\n{breakdown_text(report.breakdown)}"),
    ]
    return Rendered(title, dump(blocks))


def _drill_result(report: StatusReport) -> str:
    last = report.last_drill_report
    if last is not None:
        verdict = "passed" if last.passed else "failed"
        return (
            f"{escape(last.drill)} {verdict} ({utc_time(last.finished_at)}), RTO "
            f"{duration_text(last.rto_seconds)}, RPO {duration_text(last.rpo_seconds)}, "
            f"{last.trend_word}"
        )
    if report.last_drill is None:
        return "none yet"
    run = report.last_drill
    return f"{run.plan} {run.state.value} ({utc_time(run.finished_at)})"


def history_message(report: HistoryReport) -> Rendered:
    if not report.runs:
        return Rendered("No runs yet.", dump([md("No runs yet.")]))
    rows = []
    for run in report.runs:
        took = (
            format_duration(run.finished_at - run.started_at)
            if run.started_at and run.finished_at
            else "—"
        )
        by = run.created_by if run.created_by.startswith(BOT) else mention(run.created_by)
        rows.append(
            f"• {run.created_at:%Y-%m-%d %H:%M} `{escape(run.plan)}` {run.state.value}, took "
            f"{took}, by {by}" + (f" — {escape(run.reason)}" if run.reason else "")
        )
    text = f"The last {len(report.runs)} run(s)"
    return Rendered(text, dump([md(f"*{text}*\n" + "\n".join(rows))]))


def help_message() -> Rendered:
    lines = [f"`{COMMAND} {usage}`" for usage in SUBCOMMANDS.values()]
    return Rendered("CloudPhoenix commands", dump([md("\n".join(lines))]))


def usage_message(problem: str, suggestion: str | None) -> Rendered:
    hint = f" Did you mean `{COMMAND} {suggestion}`?" if suggestion else ""
    lines = [f"{escape(problem)}{hint}", ""]
    lines += [f"`{COMMAND} {usage}`" for usage in SUBCOMMANDS.values()]
    return Rendered(f"{problem}{hint}", dump([md("\n".join(lines))]))


def home_view(report: StatusReport) -> Json:
    score = "—" if report.score is None else str(report.score)
    lines = [
        f"*Score:* {score} · *Level:* {report.level:d} ({LEVEL_NAMES[report.level]})",
        f"*Last evaluation:* {utc_time(report.evaluated_at)}",
    ]
    if report.run is not None:
        run = report.run
        line = f"*Active run:* `{escape(run.plan)}` — {run.state.value}"
        if report.stage is not None:
            line += f", stage {report.stage.number} of {report.stage.of}"
        lines.append(line)
    elif report.incident is not None:
        lines.append(f"*Active incident:* {escape(report.incident.title)}")
    else:
        lines.append("*Active incident or run:* none")
    if report.agenda:
        lines.append("*Next drills:* " + "; ".join(agenda_line(item) for item in report.agenda))
    elif report.drills:
        drills = "; ".join(
            f"{escape(d.name)}: `{escape(d.schedule)}` ({escape(d.timezone)}), {d.mode}"
            for d in report.drills
        )
        lines.append(f"*Drills scheduled:* {drills}")
    else:
        lines.append("*Next drill:* no drills scheduled")
    lines.append(f"*Last drill:* {_drill_result(report)}")
    lines.append(home_readiness(report.readiness))
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"CloudPhoenix · {report.environment}"[:150])),
        md("\n".join(lines)),
        DividerBlock(),
        context(f"Type `{COMMAND} help` in a channel for commands."),
    ]
    return View(type="home", blocks=blocks).to_dict()

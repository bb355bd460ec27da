"""`phoenix drill report [NAME] [--json]`: the trend of the last drills, as their reports say it
(RTO and RPO against the objectives, passed or failed, and why), oldest first.

Reports are read from the bot's store (the audit log keeps them, ``engine.drills.history``);
the drills are the configuration's. A store that was never created has no reports.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli import exits
from bot.cli.invocation import Invocation
from bot.cli.output import Cell, Style
from bot.cli.parser import (
    Commands,
    add_config_option,
    add_json_option,
    add_store_option,
    positive_int,
)
from bot.cli.runs import with_store

if TYPE_CHECKING:
    from engine.config import Drill
    from engine.drills.report import DrillReport
    from engine.store import Store

HEADER = ("drill", "finished", "run", "result", "RTO", "RPO", "why")


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    drill = commands.add_parser(
        "drill",
        help="the drills' reports",
        description="What the drills measured, as the bot reported it in their threads.",
    )
    drill_commands = drill.add_subparsers(dest="drill_command", metavar="COMMAND", required=True)
    report = drill_commands.add_parser(
        "report",
        help="the RTO/RPO trend of the last drills",
        description="Each drill's last reports, oldest first: when it finished, whether it "
        "passed, its RTO and RPO (measured by the stages' roles) and why it passed or failed.",
    )
    report.add_argument("name", metavar="NAME", nargs="?", help="one drill (default: every drill)")
    report.add_argument(
        "--limit", type=positive_int, default=10, metavar="N", help="the last N reports (10)"
    )
    add_config_option(report)
    add_store_option(report)
    add_json_option(report, "each drill, its objectives and its reports")
    report.set_defaults(func=with_store(drill_report))


def drill_report(invocation: Invocation, store: Store) -> int:
    from engine.drills.history import drill_reports

    config = invocation.configuration(defaults_without_file=True)
    drills = _chosen(config.drills, invocation.args.name)
    limit = invocation.args.limit
    found = [(d, list(reversed(drill_reports(store, d.name, limit)))) for d in drills]
    objectives = {
        "rto_seconds": config.objectives.rto.total_seconds(),
        "rpo_seconds": config.objectives.rpo.total_seconds(),
    }
    if invocation.json:
        invocation.out.json(
            {
                "objectives": objectives,
                "drills": [
                    {
                        "name": d.name,
                        "plan": d.plan,
                        "reports": [r.model_dump(mode="json") for r in reports],
                    }
                    for d, reports in found
                ],
            }
        )
        return exits.OK
    out = invocation.out
    rto, rpo = (_seconds(v) for v in objectives.values())
    out.line(f"objectives: RTO {rto}, RPO {rpo}")
    rows = [_row(d, r) for d, reports in found for r in reports]
    if rows:
        out.table(HEADER, rows)
    for drill, reports in found:
        if not reports:
            out.line(f"{drill.name}: no report yet")
        elif len(reports) > 1:
            out.line(f"{drill.name}: {_trend(reports)}")
    return exits.OK


def _chosen(drills: list[Drill], name: str | None) -> list[Drill]:
    if name is None:
        return drills
    chosen = [d for d in drills if d.name == name]
    if not chosen:
        known = ", ".join(d.name for d in drills) or "none configured"
        raise exits.CommandFailed(exits.BAD_INPUT, f"no drill named {name!r} (drills: {known})")
    return chosen


def _row(drill: Drill, report: DrillReport) -> tuple[str | Cell, ...]:
    when = report.finished_at or report.started_at
    result = Cell("passed", Style.GREEN) if report.passed else Cell("failed", Style.RED)
    return (
        drill.name,
        when.strftime("%Y-%m-%d %H:%M") if when else "-",
        report.run_id,
        result,
        _seconds(report.rto_seconds),
        _seconds(report.rpo_seconds),
        "; ".join(report.verdict),
    )


def _trend(reports: list[DrillReport]) -> str:
    """The RTO over the reports, oldest first, and how the last compares."""
    rtos = " → ".join(_seconds(r.rto_seconds) for r in reports)
    return f"RTO {rtos} ({reports[-1].trend_word})"


def _seconds(value: Any) -> str:
    from datetime import timedelta

    from engine.duration import format_duration

    return "-" if value is None else format_duration(timedelta(seconds=value))

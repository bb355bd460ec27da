"""`phoenix runs list` and `phoenix runs show RUN [--chart FILE.png]`: what the store remembers
of runs, and the picture of a finished drill or failover (the one the bot posts in its thread).

The store is the bot's own (``--store``, else ``PHOENIX_STORE_URL``, else the default SQLite
file), opened to read and never created: where nothing was ever recorded there are no runs, and
stderr says where the command looked.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.cli import exits
from bot.cli.invocation import Invocation
from bot.cli.output import Cell, Output, Style
from bot.cli.parser import (
    Commands,
    add_config_option,
    add_json_option,
    add_store_option,
    positive_int,
)
from engine.runs import ProgressEvent, Run, RunState, StageRecord, idempotency_key

if TYPE_CHECKING:
    from engine.records import Approval, AuditEvent
    from engine.store import Store

RUN_STATES = tuple(state.value for state in RunState)
STATE_STYLES = {
    RunState.RUNNING: Style.YELLOW,
    RunState.PAUSED: Style.YELLOW,
    RunState.SUCCEEDED: Style.GREEN,
    RunState.FAILED: Style.RED,
    RunState.ABORTED: Style.RED,
}


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    runs = commands.add_parser(
        "runs",
        help="list runs, or show one",
        description="What the store remembers of runs: the bot's own store, as it reads it.",
    )
    runs_commands = runs.add_subparsers(dest="runs_command", metavar="COMMAND", required=True)
    listing = runs_commands.add_parser(
        "list", help="the latest runs, newest first", description="The latest runs, newest first."
    )
    listing.add_argument(
        "--state",
        action="append",
        choices=RUN_STATES,
        metavar="STATE",
        help=f"only runs in this state; repeat for several ({', '.join(RUN_STATES)})",
    )
    listing.add_argument(
        "--limit", type=positive_int, default=20, metavar="N", help="at most N runs (20)"
    )
    add_json_option(listing, "the runs")
    show = runs_commands.add_parser(
        "show",
        help="stages, attempts, durations, approvals, events",
        description="One run's story: its stages and their attempts, durations, approvals, "
        "progress events and audit trail.",
    )
    show.add_argument("run_id", metavar="RUN", help="the run's id (as `runs list` shows it)")
    show.add_argument(
        "--chart",
        metavar="FILE.png",
        help="also write the picture of the finished run (its timeline, RTO and RPO against "
        "the objectives, the trend of the last drills), as the bot posts it",
    )
    add_config_option(show)
    add_json_option(show, "the run, stages, approvals, events and audit")
    for command, func in ((listing, list_runs), (show, show_run)):
        add_store_option(command)
        command.set_defaults(func=with_store(func))


def with_store(command: Callable[[Invocation, Store], int]) -> Callable[[Invocation], int]:
    def run(invocation: Invocation) -> int:
        from bot.wiring.store import open_store
        from engine.errors import StoreError, StoreNotCreated

        try:
            store = invocation.open_store()
        except StoreNotCreated as exc:
            # Said every time, not only with -v: a mistyped path must not pass for no runs.
            invocation.err.line(str(exc))
            store = open_store(NOTHING_RECORDED)
        try:
            return command(invocation, store)
        except StoreError as exc:
            raise exits.CommandFailed(exits.FAILED, f"cannot read the store: {exc}") from None
        finally:
            store.close()

    return run


NOTHING_RECORDED = "sqlite:///:memory:"
"""What a store that was never created is read as: an empty one."""


def _json(value: Any, kind: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(kind).dump_python(value, mode="json")


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%SZ") if at else "-"


def _seconds(seconds: float | None) -> str:
    from engine.duration import format_duration

    return "-" if seconds is None else format_duration(timedelta(seconds=seconds))


def _took(run: Run) -> str:
    from engine.duration import format_duration

    if run.started_at is None or run.finished_at is None:
        return "-"
    return format_duration(run.finished_at - run.started_at)


def _state(state: RunState) -> Cell:
    return Cell(state.value, STATE_STYLES.get(state))


def list_runs(invocation: Invocation, store: Store) -> int:
    args = invocation.args
    states = {RunState(s) for s in args.state} if args.state else None
    runs = store.list_runs(states=states, limit=args.limit)
    out = invocation.out
    if invocation.json:
        out.json(_json(runs, list[Run]))
    elif not runs:
        out.line("no runs")
    else:
        out.table(
            ("run", "plan", "mode", "state", "created", "took", "reason"),
            (
                (
                    r.run_id,
                    r.plan,
                    r.mode.value,
                    _state(r.state),
                    _when(r.created_at),
                    _took(r),
                    r.reason,
                )
                for r in runs
            ),
        )
    return exits.OK


def show_run(invocation: Invocation, store: Store) -> int:
    from engine.records import Approval, AuditEvent

    run_id = invocation.args.run_id
    run = store.get_run(run_id)
    if run is None:
        raise exits.CommandFailed(exits.FAILED, f"no run {run_id}")
    records = {r.stage: r for r in store.get_stages(run.run_id)}
    stages = [records.get(name) or StageRecord(run.run_id, name) for name in run.stages]
    approvals = [
        a
        for subject in (run.run_id, *(idempotency_key(run.run_id, s) for s in run.stages))
        for a in store.list_approvals(subject)
    ]
    events = store.list_events(run.run_id)
    audit = store.list_audit(subject=run.run_id)
    if invocation.json:
        invocation.out.json(
            {
                "run": _json(run, Run),
                "stages": _json(stages, list[StageRecord]),
                "approvals": _json(approvals, list[Approval]),
                "events": _json(events, list[ProgressEvent]),
                "audit": _json(audit, list[AuditEvent]),
            }
        )
    else:
        _tell_story(invocation.out, run, stages, approvals, events, audit)
    if invocation.args.chart:
        _write_chart(invocation, store, run, invocation.args.chart)
    return exits.OK


def _write_chart(invocation: Invocation, store: Store, run: Run, path: str) -> None:
    from engine.drills.timeline import read_timeline
    from handlers import pictures

    timeline = read_timeline(
        store, invocation.configuration(defaults_without_file=True), run.run_id
    )
    if timeline is None:
        raise exits.CommandFailed(
            exits.FAILED, f"run {run.run_id} is {run.state.value}: a picture is drawn once it ends"
        )
    try:
        with open(path, "wb") as file:
            file.write(pictures.png(timeline))
    except OSError as exc:
        raise exits.CommandFailed(exits.BAD_INPUT, f"cannot write {path}: {exc.strerror}") from None
    invocation.err.line(f"phoenix: the picture of run {run.run_id} is in {path}")


def _tell_story(
    out: Output,
    run: Run,
    stages: list[StageRecord],
    approvals: list[Approval],
    events: list[ProgressEvent],
    audit: list[AuditEvent],
) -> None:
    state = _state(run.state)
    out.line(
        f"run {out.paint(run.run_id, Style.BOLD)}: plan {run.plan} (version {run.plan_version}), "
        f"{run.mode.value}, {out.paint(state.text, state.style)}"
    )
    out.line(
        f"  created {_when(run.created_at)} by {run.created_by}; started "
        f"{_when(run.started_at)}; finished {_when(run.finished_at)}; took {_took(run)}"
    )
    if run.reason:
        out.line(f"  reason: {run.reason}")
    out.line("stages:")
    for record in stages:
        took = _seconds(record.seconds)
        detail = record.error or record.summary
        out.line(
            f"  {record.stage}: {record.state.value}, {len(record.attempts)} attempt(s), "
            f"took {took}" + (f" — {detail}" if detail else "")
        )
        for attempt in record.attempts:
            outcome = attempt.outcome.value if attempt.outcome else "in flight"
            error = f": {attempt.error}" if attempt.error else ""
            out.line(
                f"    attempt {attempt.number} (round {attempt.round}): {outcome}, "
                f"{_seconds(attempt.seconds)}{error}"
            )
    out.line("approvals:" if approvals else "approvals: none")
    for approval in approvals:
        out.line(
            f"  {_when(approval.at)} {approval.user} {approval.decision.value} "
            f"{approval.subject} via {approval.surface.value}"
        )
    out.line("events:")
    for event in events:
        where = f" {event.stage}" if event.stage else ""
        where += f" (attempt {event.attempt})" if event.attempt else ""
        out.line(
            f"  {event.seq:>4} {_when(event.at)} {event.kind.value}{where}"
            + (f": {event.message}" if event.message else "")
        )
    out.line("audit:")
    for entry in audit:
        out.line(
            f"  {_when(entry.at)} {entry.actor} via {entry.surface.value}: {entry.action}"
            + (f" ({entry.detail})" if entry.detail else "")
        )

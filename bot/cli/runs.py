"""`phoenix runs list` and `phoenix runs show ID`: what the store remembers of runs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from bot.wiring.store import DEFAULT_STORE_URL, open_store
from engine.duration import format_duration
from engine.errors import StoreError
from engine.records import Approval, AuditEvent
from engine.runs import ProgressEvent, Run, RunState, StageRecord, idempotency_key
from engine.store import Store


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    runs = subparsers.add_parser("runs", help="list runs, or show one")
    commands = runs.add_subparsers(dest="runs_command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", help="the latest runs, newest first")
    listing.add_argument("--state", action="append", choices=[s.value for s in RunState])
    listing.add_argument("--limit", type=int, default=20)
    show = commands.add_parser("show", help="stages, attempts, durations, approvals, events")
    show.add_argument("run_id")
    for command, func in ((listing, list_runs), (show, show_run)):
        command.add_argument("--store", default=DEFAULT_STORE_URL, help="the store URL")
        command.add_argument("--json", action="store_true", help="print JSON")
        command.set_defaults(func=_with_store(func))


def _with_store(
    command: Callable[[argparse.Namespace, Store], int],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            store = open_store(args.store, create=False)
        except StoreError as exc:
            print(f"cannot read the store: {exc}", file=sys.stderr)
            return 1
        try:
            return command(args, store)
        except StoreError as exc:
            print(f"cannot read the store: {exc}", file=sys.stderr)
            return 1
        finally:
            store.close()

    return run


def _json(value: Any, kind: Any) -> Any:
    return TypeAdapter(kind).dump_python(value, mode="json")


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%SZ") if at else "-"


def _seconds(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(timedelta(seconds=seconds))


def _took(run: Run) -> str:
    if run.started_at is None or run.finished_at is None:
        return "-"
    return format_duration(run.finished_at - run.started_at)


def list_runs(args: argparse.Namespace, store: Store) -> int:
    states = {RunState(s) for s in args.state} if args.state else None
    runs = store.list_runs(states=states, limit=args.limit)
    if args.json:
        print(json.dumps(_json(runs, list[Run])))
        return 0
    if not runs:
        print("no runs")
        return 0
    rows = [("run", "plan", "mode", "state", "created", "took", "reason")]
    rows += [
        (r.run_id, r.plan, r.mode.value, r.state.value, _when(r.created_at), _took(r), r.reason)
        for r in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def show_run(args: argparse.Namespace, store: Store) -> int:
    run = store.get_run(args.run_id)
    if run is None:
        print(f"no run {args.run_id}", file=sys.stderr)
        return 1
    records = {r.stage: r for r in store.get_stages(run.run_id)}
    stages = [records.get(name) or StageRecord(run.run_id, name) for name in run.stages]
    approvals = [
        a
        for subject in (run.run_id, *(idempotency_key(run.run_id, s) for s in run.stages))
        for a in store.list_approvals(subject)
    ]
    events = store.list_events(run.run_id)
    audit = store.list_audit(subject=run.run_id)
    if args.json:
        print(
            json.dumps(
                {
                    "run": _json(run, Run),
                    "stages": _json(stages, list[StageRecord]),
                    "approvals": _json(approvals, list[Approval]),
                    "events": _json(events, list[ProgressEvent]),
                    "audit": _json(audit, list[AuditEvent]),
                }
            )
        )
        return 0
    print(
        f"run {run.run_id}: plan {run.plan} (version {run.plan_version}), {run.mode.value}, "
        f"{run.state.value}"
    )
    print(
        f"  created {_when(run.created_at)} by {run.created_by}; started "
        f"{_when(run.started_at)}; finished {_when(run.finished_at)}; took {_took(run)}"
    )
    if run.reason:
        print(f"  reason: {run.reason}")
    print("stages:")
    for record in stages:
        took = _seconds(record.seconds)
        detail = record.error or record.summary
        print(
            f"  {record.stage}: {record.state.value}, {len(record.attempts)} attempt(s), "
            f"took {took}" + (f" — {detail}" if detail else "")
        )
        for attempt in record.attempts:
            outcome = attempt.outcome.value if attempt.outcome else "in flight"
            error = f": {attempt.error}" if attempt.error else ""
            print(
                f"    attempt {attempt.number} (round {attempt.round}): {outcome}, "
                f"{_seconds(attempt.seconds)}{error}"
            )
    print("approvals:" if approvals else "approvals: none")
    for approval in approvals:
        print(
            f"  {_when(approval.at)} {approval.user} {approval.decision.value} "
            f"{approval.subject} via {approval.surface.value}"
        )
    print("events:")
    for event in events:
        where = f" {event.stage}" if event.stage else ""
        where += f" (attempt {event.attempt})" if event.attempt else ""
        print(
            f"  {event.seq:>4} {_when(event.at)} {event.kind.value}{where}"
            + (f": {event.message}" if event.message else "")
        )
    print("audit:")
    for entry in audit:
        print(
            f"  {_when(entry.at)} {entry.actor} via {entry.surface.value}: {entry.action}"
            + (f" ({entry.detail})" if entry.detail else "")
        )
    return 0

"""`phoenix plan show NAME` and `phoenix plan dry-run NAME`: a plan as the runner sees it.

Plans are the built-ins overridden by phoenix.yaml's; without a phoenix.yaml (and no
``--config``) the built-ins alone are shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.config import DEFAULT_CONFIG, load_or_report
from engine.config import PhoenixConfig
from engine.duration import format_duration
from engine.plans.model import Plan, dry_run, plan_book, plans_for_levels
from engine.runs import RunMode

_POLICIES = {
    "auto": "automatic, announced",
    "approve": "one approval",
    "two-person": "two approvals from two people",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = subparsers.add_parser("plan", help="show a recovery plan, or walk it in a dry run")
    commands = plan.add_subparsers(dest="plan_command", metavar="COMMAND", required=True)
    show = commands.add_parser("show", help="stages, groups, gates, timeouts, retry policies")
    show.add_argument("name")
    show.add_argument("--config", help=f"a phoenix.yaml (default: {DEFAULT_CONFIG}, if any)")
    show.set_defaults(func=show_plan)
    walk = commands.add_parser(
        "dry-run", help="every action each stage would take, touching nothing"
    )
    walk.add_argument("name")
    walk.add_argument("--config", help=f"a phoenix.yaml (default: {DEFAULT_CONFIG}, if any)")
    walk.add_argument("--rehearsal", action="store_true", help="as a drill rehearsal runs it")
    walk.set_defaults(func=dry_run_plan)


def _load(args: argparse.Namespace) -> tuple[PhoenixConfig, Plan] | None:
    if args.config is None and not Path(DEFAULT_CONFIG).exists():
        config: PhoenixConfig | None = PhoenixConfig()
    else:
        config = load_or_report(args.config or DEFAULT_CONFIG)
    if config is None:
        return None
    plans = plan_book(config)
    plan = plans.get(args.name)
    if plan is None:
        print(f"no plan named {args.name!r}; plans: {', '.join(sorted(plans))}", file=sys.stderr)
        return None
    return config, plan


def show_plan(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if loaded is None:
        return 2
    config, plan = loaded
    print(
        f"plan {plan.name} (version {plan.version})"
        + (f": {plan.description}" if plan.description else "")
    )
    proposers = [
        f"{rule} ({_POLICIES[policy]})"
        for rule, policy in plans_for_levels(config).get(plan.name, [])
    ]
    print(f"proposed by: {', '.join(proposers) or 'no level (started by hand or by a drill)'}")
    rows = [("step", "stage", "kind", "role", "group", "timeout", "drill", "gate", "retry")]
    for number, step in enumerate(plan.steps(), start=1):
        for stage in step:
            rows.append(
                (
                    str(number),
                    stage.name,
                    stage.kind.name,
                    stage.role or "-",
                    stage.group or "-",
                    format_duration(stage.timeout),
                    "yes" if stage.drill else "no",
                    "confirm" if stage.gate else "-",
                    stage.retry.describe(),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[-1]
        )
    print("stages of one group run in parallel; a gate waits for a person to confirm the stage")
    for stage in plan.stages:
        params = stage.params.model_dump(mode="json")
        if params:
            print(f"  {stage.name}: {json.dumps(params)}")
    return 0


def dry_run_plan(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if loaded is None:
        return 2
    _, plan = loaded
    mode = RunMode.REHEARSAL if args.rehearsal else RunMode.LIVE
    print(f"dry run of plan {plan.name} (version {plan.version}), {mode.value}: nothing is touched")
    for number, step in enumerate(dry_run(plan, mode), start=1):
        group = step[0].stage.group
        parallel = f", in parallel (group {group})" if len(step) > 1 else ""
        print(f"step {number}{parallel}")
        for walked in step:
            stage = walked.stage
            gate = ", after a person confirms it" if stage.gate else ""
            print(f"  {stage.name} ({stage.kind.name}{gate})")
            if walked.skipped:
                print(f"    {walked.skipped}")
                continue
            for action in walked.actions:
                print(f"    - {action}")
    return 0

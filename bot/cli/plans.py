"""`phoenix plan show NAME` and `phoenix plan dry-run NAME`: a plan as the runner sees it.

Plans are the built-ins overridden by phoenix.yaml's, from the configuration the bot reads
(``--config``, else ``PHOENIX_CONFIG``); only when neither names one and ./phoenix.yaml does not
exist are the built-ins shown alone (``-v`` says so).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from bot.cli import exits
from bot.cli.invocation import Invocation
from bot.cli.output import Style
from bot.cli.parser import Commands, add_config_option, add_json_option

if TYPE_CHECKING:
    from engine.config import PhoenixConfig
    from engine.plans.model import DryRunStage, Plan, PlanStage

_POLICIES = {
    "auto": "automatic, announced",
    "approve": "one approval",
    "two-person": "two approvals from two people",
}


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    plan = commands.add_parser(
        "plan",
        help="show a recovery plan, or walk it in a dry run",
        description="A recovery plan as the runner sees it: the built-in plans, overridden by "
        "the configuration's own.",
    )
    plan_commands = plan.add_subparsers(dest="plan_command", metavar="COMMAND", required=True)
    show = plan_commands.add_parser(
        "show",
        help="stages, roles, groups, gates, timeouts, retry policies",
        description="The plan's stages step by step: kind, role (what a drill measures by it), "
        "parallel group, timeout, whether it acts in a drill, whether a person confirms it "
        "first, its retry policy.",
    )
    show.add_argument("name", metavar="NAME", help="the plan (e.g. dr-azure, failback)")
    add_config_option(show)
    add_json_option(show, "the plan, its proposers and its stages")
    show.set_defaults(func=show_plan)
    walk = plan_commands.add_parser(
        "dry-run",
        help="every action each stage would take, touching nothing",
        description="Walk the plan and print every call each stage would make, without making any.",
    )
    walk.add_argument("name", metavar="NAME", help="the plan (e.g. dr-azure, failback)")
    add_config_option(walk)
    walk.add_argument(
        "--rehearsal",
        action="store_true",
        help="as a drill rehearsal runs it (stages not part of a drill are skipped)",
    )
    add_json_option(walk, "the steps and every stage's actions")
    walk.set_defaults(func=dry_run_plan)


def _plan(invocation: Invocation) -> tuple[PhoenixConfig, Plan]:
    from engine.plans.model import plan_book

    config = invocation.configuration(defaults_without_file=True)
    plans = plan_book(config)
    name = invocation.args.name
    plan = plans.get(name)
    if plan is None:
        raise exits.CommandFailed(
            exits.BAD_INPUT, f"no plan named {name!r}; plans: {', '.join(sorted(plans))}"
        )
    return config, plan


def _proposers(config: PhoenixConfig, plan: Plan) -> list[tuple[str, str]]:
    from engine.plans.model import plans_for_levels

    return plans_for_levels(config).get(plan.name, [])


def _stage_row(step: int, stage: PlanStage) -> tuple[str, ...]:
    from engine.duration import format_duration

    return (
        str(step),
        stage.name,
        stage.kind.name,
        stage.role or "-",
        stage.group or "-",
        format_duration(stage.timeout),
        "yes" if stage.drill else "no",
        "confirm" if stage.gate else "-",
        stage.retry.describe(),
    )


def _stage_json(step: int, stage: PlanStage) -> dict[str, Any]:
    return {
        "step": step,
        "name": stage.name,
        "kind": stage.kind.name,
        "role": stage.role and stage.role.value,
        "group": stage.group,
        "timeout_seconds": stage.timeout.total_seconds(),
        "drill": stage.drill,
        "gate": stage.gate,
        "retry": stage.retry.model_dump(mode="json"),
        "retry_described": stage.retry.describe(),
        "params": stage.params.model_dump(mode="json"),
    }


def show_plan(invocation: Invocation) -> int:
    config, plan = _plan(invocation)
    numbered = [(n, stage) for n, step in enumerate(plan.steps(), start=1) for stage in step]
    proposers = _proposers(config, plan)
    out = invocation.out
    if invocation.json:
        out.json(
            {
                "name": plan.name,
                "version": plan.version,
                "description": plan.description,
                "proposed_by": [{"rule": rule, "policy": policy} for rule, policy in proposers],
                "stages": [_stage_json(n, stage) for n, stage in numbered],
            }
        )
        return exits.OK
    out.line(
        f"plan {out.paint(plan.name, Style.BOLD)} (version {plan.version})"
        + (f": {plan.description}" if plan.description else "")
    )
    proposed = [f"{rule} ({_POLICIES[policy]})" for rule, policy in proposers]
    out.line(f"proposed by: {', '.join(proposed) or 'no level (started by hand or by a drill)'}")
    out.table(
        ("step", "stage", "kind", "role", "group", "timeout", "drill", "gate", "retry"),
        (_stage_row(n, stage) for n, stage in numbered),
    )
    out.line("stages of one group run in parallel; a gate waits for a person to confirm the stage")
    for stage in plan.stages:
        params = stage.params.model_dump(mode="json")
        if params:
            out.line(f"  {stage.name}: {json.dumps(params)}")
    return exits.OK


def dry_run_plan(invocation: Invocation) -> int:
    from engine.plans.model import dry_run
    from engine.runs import RunMode

    _, plan = _plan(invocation)
    mode = RunMode.REHEARSAL if invocation.args.rehearsal else RunMode.LIVE
    steps = dry_run(plan, mode)
    out = invocation.out
    if invocation.json:
        out.json(
            {
                "plan": plan.name,
                "version": plan.version,
                "mode": mode.value,
                "steps": [
                    {"step": n, "stages": [_walked_json(walked) for walked in step]}
                    for n, step in enumerate(steps, start=1)
                ],
            }
        )
        return exits.OK
    out.line(
        f"dry run of plan {plan.name} (version {plan.version}), {mode.value}: nothing is touched"
    )
    for number, step in enumerate(steps, start=1):
        group = step[0].stage.group
        parallel = f", in parallel (group {group})" if len(step) > 1 else ""
        out.line(f"step {number}{parallel}")
        for walked in step:
            stage = walked.stage
            gate = ", after a person confirms it" if stage.gate else ""
            out.line(f"  {stage.name} ({stage.kind.name}{gate})")
            if walked.skipped:
                out.line(f"    {walked.skipped}")
                continue
            for action in walked.actions:
                out.line(f"    - {action}")
    return exits.OK


def _walked_json(walked: DryRunStage) -> dict[str, Any]:
    stage = walked.stage
    return {
        "name": stage.name,
        "kind": stage.kind.name,
        "group": stage.group,
        "gate": stage.gate,
        "skipped": walked.skipped or None,
        "actions": list(walked.actions),
    }

"""`phoenix readiness`: the latest readiness sweep of the DR side, as the bot's leader stored it
(the same every replica and Slack show): each check, its verdict and why, and what a failover
started then would cost. Exit 0 when every check read ready, 1 when one did not (or nothing
was swept yet), so a script can gate on it.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.cli import exits
from bot.cli.invocation import Invocation
from bot.cli.output import Cell, Style
from bot.cli.parser import Commands, add_json_option, add_store_option

if TYPE_CHECKING:
    from engine.readiness import Estimate, ReadinessSweep, Verdict


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    readiness = commands.add_parser(
        "readiness",
        help="whether the DR side is ready, and a failover's RTO and RPO now",
        description="The latest readiness sweep of the DR side, as the bot stored it: each "
        "check, its verdict and why, and the RTO and RPO a failover started then would have. "
        "Exit 1 when a check is not ready.",
    )
    add_json_option(readiness, "the sweep")
    add_store_option(readiness)
    readiness.set_defaults(func=show_readiness)


def show_readiness(invocation: Invocation) -> int:
    from engine.errors import StoreError, StoreNotCreated

    try:
        store = invocation.open_store()
    except StoreNotCreated as exc:
        raise exits.CommandFailed(exits.FAILED, str(exc), "no readiness sweep yet") from None
    try:
        sweep = store.latest_readiness()
    except StoreError as exc:
        raise exits.CommandFailed(exits.FAILED, f"cannot read the store: {exc}") from None
    finally:
        store.close()
    if sweep is None:
        raise exits.CommandFailed(
            exits.FAILED, "no readiness sweep yet: the bot's leader sweeps on readiness.interval"
        )
    if invocation.json:
        from pydantic import TypeAdapter

        from engine.readiness import ReadinessSweep

        invocation.out.json(TypeAdapter(ReadinessSweep).dump_python(sweep, mode="json"))
    else:
        _tell(invocation, sweep)
    return exits.OK if sweep.ready else exits.FAILED


def _tell(invocation: Invocation, sweep: ReadinessSweep) -> None:
    out = invocation.out
    counts = f"{sweep.ready_count} of {len(sweep.checks)} ready"
    style = Style.GREEN if sweep.ready else Style.RED
    out.line(
        f"DR readiness of plan {sweep.plan}: {out.paint(counts, style)} "
        f"(swept {sweep.at:%Y-%m-%d %H:%M:%SZ}, in {sweep.seconds:.1f}s)"
    )
    out.table(
        ("check", "verdict", "since", "reason"),
        (
            (
                check.name,
                _verdict(check.verdict),
                f"{check.since:%Y-%m-%d %H:%M:%SZ}" if check.since else "-",
                f"{check.subject}: {check.reason}" if check.subject else check.reason,
            )
            for check in sweep.checks
        ),
    )
    out.line("if we failed over now:")
    for label, estimate in (("RTO", sweep.rto), ("RPO", sweep.rpo)):
        out.line(f"  {label} {_estimate(estimate)}")
        for part in estimate.basis:
            out.line(f"    - {part}")


def _verdict(verdict: Verdict) -> Cell:
    from engine.readiness import Verdict

    styles = {Verdict.READY: Style.GREEN, Verdict.NOT_READY: Style.RED}
    return Cell(verdict.words, styles.get(verdict, Style.YELLOW))


def _estimate(estimate: Estimate) -> str:
    from engine.duration import format_duration

    if estimate.seconds is None:
        return "not known"
    spelled = format_duration(timedelta(seconds=round(estimate.seconds)))
    return f"≈ {spelled}" if estimate.complete else f"at least {spelled}"

"""`phoenix approve | decline | abort | retry | skip`: break-glass, for when Slack cannot be
reached.

The decisions of a proposal's and a paused run's buttons, taken from inside the bot's pod
(``kubectl exec``) on the bot's own configuration and store, under the same rules: the authority
table, the requester never approving their own request, as many different approvers as the
level needs. ``--as`` names whom a decision is recorded for; the cluster's RBAC decides who may
run the command at all. ``--reason`` is required. Every attempt is audited with surface ``cli``,
and what was decided is shown in the incident thread once Slack answers.

A run started, retried or skipped here is handed over: a replica of the bot takes it at its
next sweep.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.cli import exits
from bot.cli.invocation import Invocation
from bot.cli.output import Style
from bot.cli.parser import Commands, add_config_option, add_json_option, add_store_option

if TYPE_CHECKING:
    from engine.incidents.breakglass import BreakGlass
    from engine.incidents.clicks import ClickOutcome
    from engine.incidents.desk import IncidentDesk

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

Decide = Callable[["BreakGlass", argparse.Namespace], "ClickOutcome"]


def _approve(glass: BreakGlass, args: argparse.Namespace) -> ClickOutcome:
    return glass.approve(args.run_id, args.user, args.reason)


def _decline(glass: BreakGlass, args: argparse.Namespace) -> ClickOutcome:
    return glass.decline(args.run_id, args.user, args.reason)


def _abort(glass: BreakGlass, args: argparse.Namespace) -> ClickOutcome:
    return glass.abort(args.run_id, args.user, args.reason)


def _retry(glass: BreakGlass, args: argparse.Namespace) -> ClickOutcome:
    return glass.retry(args.run_id, args.stage, args.user, args.reason)


def _skip(glass: BreakGlass, args: argparse.Namespace) -> ClickOutcome:
    return glass.skip(args.run_id, args.stage, args.user, args.reason)


# name, what it does (help), whether it names a stage, the decision, what was done (past)
_COMMANDS: tuple[tuple[str, str, bool, Decide, str], ...] = (
    ("approve", "approve a proposal, as its Approve button does", False, _approve, "approved"),
    ("decline", "decline a proposal, as its Decline button does", False, _decline, "declined"),
    ("abort", "abort a paused run or a proposal still waiting", False, _abort, "aborted"),
    ("retry", "retry the failed stage of a paused run", True, _retry, "retried"),
    ("skip", "skip the failed stage of a paused run", True, _skip, "skipped"),
)


def user_id(text: str) -> str:
    """An argument type: a Slack user id (``U…`` or ``W…``), or argparse's usage error."""
    if not _USER_ID.match(text):
        raise argparse.ArgumentTypeError(f"must be a Slack user id such as U012AB3CD, not {text!r}")
    return text


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    for name, summary, names_stage, decide, done in _COMMANDS:
        parser = commands.add_parser(
            name,
            help=f"break-glass: {summary}",
            description=f"Break-glass, for when Slack cannot be reached: {summary}, on the "
            "bot's own store and under the same rules (configured approvers; the requester "
            "never approves; level 3 needs two different people). --as names whom the "
            "decision is recorded for; whoever may exec into the bot's pod may run this. The "
            "decision is audited with surface cli and shown in the incident thread once Slack "
            "answers.",
        )
        parser.add_argument("run_id", metavar="RUN", help="the run (as `phoenix status` shows)")
        if names_stage:
            parser.add_argument(
                "stage", metavar="STAGE", help="the stage that failed (`phoenix runs show RUN`)"
            )
        parser.add_argument(
            "--as",
            dest="user",
            required=True,
            type=user_id,
            metavar="USERID",
            help="the Slack user id (U…) the decision is recorded for; it must be allowed to "
            "take it",
        )
        parser.add_argument(
            "--reason",
            required=True,
            metavar="TEXT",
            help="why (required): kept in the audit log and shown in Slack",
        )
        add_config_option(parser)
        add_store_option(parser)
        add_json_option(parser, "the outcome and the run after it")
        parser.set_defaults(func=_command(decide, done))


def _command(decide: Decide, done: str) -> Callable[[Invocation], int]:
    def run(invocation: Invocation) -> int:
        from bot.cli.desk import open_desk

        args = invocation.args
        with open_desk(invocation) as opened:
            outcome = decide(opened.desk.break_glass, args)
            report = _report(opened.desk, args.run_id, outcome, done)
        if invocation.json:
            invocation.out.json(report)
        elif outcome.allowed:
            _tell(invocation, report)
        else:
            invocation.err.line(f"refused: {outcome.explanation}")
        return exits.OK if outcome.allowed else exits.REFUSED

    return run


def _report(desk: IncidentDesk, run_id: str, outcome: ClickOutcome, done: str) -> dict[str, object]:
    run = desk.store.get_run(run_id)
    proposal = desk.register.proposal(run_id)
    report: dict[str, object] = {
        "allowed": outcome.allowed,
        "done": done if outcome.allowed else None,
        "explanation": outcome.explanation,
        "run_id": run_id,
        "state": run.state.value if run else None,
        "plan": run.plan if run else None,
        "handed_over": outcome.started,
    }
    if proposal is not None:
        report["approvals"] = [
            {"user": a.user, "surface": a.surface.value, "at": a.at.isoformat()}
            for a in proposal.approvals
        ]
        report["required"] = proposal.record.required
        report["stand"] = proposal.stand.value
    return report


def _tell(invocation: Invocation, report: dict[str, object]) -> None:
    out = invocation.out
    run = out.paint(str(report["run_id"]), Style.BOLD)
    out.line(f"{report['done']} run {run} as {invocation.args.user}: {report['explanation']}")
    line = f"  plan {report['plan']}, {report['state']}"
    approvals = report.get("approvals")
    if isinstance(approvals, list):
        given = ", ".join(f"{a['user']} ({a['surface']})" for a in approvals) or "none"
        line += f"; approvals {len(approvals)} of {report['required']}: {given}"
    out.line(line)
    if report["state"] == "running":
        out.line(
            "  the bot's replicas run it from their next sweep; follow it with "
            f"`phoenix runs show {report['run_id']}`"
        )
    out.line("  shown in the incident thread once Slack answers")

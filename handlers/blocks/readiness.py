"""What people see of the DR side's readiness: `/phoenix readiness`, its lines on the App Home
and on a DR proposal, and the notice of a check that stopped (or started again) being ready."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk.models.blocks import Block

from engine.duration import format_duration
from engine.health.readiness.notices import Change
from engine.incidents.proposals import ReadinessDigest
from engine.readiness import CheckResult, Estimate, ReadinessSweep, Verdict
from engine.text import clip
from handlers.blocks.kit import SECTION_TEXT, Rendered, context, dump, escape, md, utc_time

ICONS = {
    Verdict.READY: ":white_check_mark:",
    Verdict.NOT_READY: ":x:",
    Verdict.UNKNOWN: ":grey_question:",
}
WARNS_NEVER_BLOCKS = "A check that is not ready warns; it never blocks an approved failover."


def estimate_text(seconds: float | None, complete: bool) -> str:
    if seconds is None:
        return "not known"
    spelled = format_duration(timedelta(seconds=round(seconds)))
    return f"≈ {spelled}" if complete else f"at least {spelled}"


def counts_text(ready: int, total: int) -> str:
    return f"{ready} of {total} ready"


def readiness_message(sweep: ReadinessSweep | None, now: datetime) -> Rendered:
    if sweep is None:
        text = "No readiness sweep yet: the leader sweeps the DR side on readiness.interval."
        return Rendered(text, dump([md(text)]))
    title = (
        f"DR readiness of plan {sweep.plan}: {counts_text(sweep.ready_count, len(sweep.checks))}"
    )
    ago = format_duration(max(now - sweep.at, timedelta(0)))
    head = f"*{escape(title)}*\nSwept {utc_time(sweep.at)} ({ago} ago), in {sweep.seconds:.1f}s."
    lines = [head, *(_check_line(c) for c in sweep.checks)]
    blocks: list[Block] = [md("\n".join(part)) for part in _sections(lines)]
    blocks += [
        md(
            "*If we failed over now*\n"
            + _estimate_lines("RTO", sweep.rto)
            + "\n"
            + _estimate_lines("RPO", sweep.rpo)
        ),
        context(WARNS_NEVER_BLOCKS),
    ]
    return Rendered(title, dump(blocks))


def readiness_notice(changes: Sequence[Change], sweep: ReadinessSweep) -> Rendered:
    """One message for every change a sweep has to tell, stopped and recovered alike."""
    stopped = [c.check for c in changes if not c.recovered]
    recovered = [c.check for c in changes if c.recovered]
    lines = []
    if stopped:
        lines.append(":warning: *DR readiness: stopped being ready*")
        lines += [_check_line(c) for c in stopped]
    if recovered:
        lines.append(":large_green_circle: *DR readiness: ready again*")
        lines += [_check_line(c) for c in recovered]
    counts = counts_text(sweep.ready_count, len(sweep.checks))
    lines.append(
        f"Now {counts} for plan `{escape(sweep.plan)}`; a failover now: RTO "
        f"{estimate_text(sweep.rto.seconds, sweep.rto.complete)}, RPO "
        f"{estimate_text(sweep.rpo.seconds, sweep.rpo.complete)}. `/phoenix readiness` for all."
    )
    names = ", ".join(c.name for c in (*stopped, *recovered))
    text = f"DR readiness changed ({names}): {counts}"
    return Rendered(text, dump([md("\n".join(lines))]))


def proposal_readiness(digest: ReadinessDigest) -> str:
    """The DR proposal's readiness lines, so approvers see them before they click."""
    head = (
        f"*DR readiness* (swept {digest.at:%H:%M} UTC): {counts_text(digest.ready, digest.total)}"
    )
    lines = [head]
    for failing in digest.failing:
        icon = ICONS.get(Verdict(failing.verdict), ":x:")
        lines.append(f"{icon} `{escape(failing.name)}` — {escape(failing.reason)}")
    lines.append(
        f"*If we failed over now:* RTO {estimate_text(digest.rto_seconds, digest.rto_complete)}, "
        f"RPO {estimate_text(digest.rpo_seconds, digest.rpo_complete)} (how they are derived: "
        "`/phoenix readiness`)"
    )
    if digest.failing:
        lines.append(f"_{WARNS_NEVER_BLOCKS}_")
    return "\n".join(lines)


def home_readiness(sweep: ReadinessSweep | None) -> str:
    if sweep is None:
        return "*DR readiness:* no sweep yet"
    line = (
        f"*DR readiness:* {counts_text(sweep.ready_count, len(sweep.checks))} "
        f"(swept {utc_time(sweep.at)})"
    )
    if sweep.failing:
        line += "; not ready: " + ", ".join(f"`{escape(c.name)}`" for c in sweep.failing)
    line += (
        f"\n*If we failed over now:* RTO {estimate_text(sweep.rto.seconds, sweep.rto.complete)}, "
        f"RPO {estimate_text(sweep.rpo.seconds, sweep.rpo.complete)}"
    )
    return line


def _sections(lines: Sequence[str], limit: int = SECTION_TEXT) -> list[list[str]]:
    """``lines`` in runs that each fit one section's text, so no check is cut off."""
    parts: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = clip(line, limit)
        if parts[-1] and size + len(line) + 1 > limit:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += len(line) + 1
    return parts


def _check_line(check: CheckResult) -> str:
    line = f"{ICONS[check.verdict]} `{escape(check.name)}` {escape(check.subject)} — "
    line += escape(check.reason)
    if not check.ready and check.since is not None:
        line += f" _(since {check.since:%Y-%m-%d %H:%M} UTC)_"
    return line


def _estimate_lines(label: str, estimate: Estimate) -> str:
    lines = [f"*{label}* {estimate_text(estimate.seconds, estimate.complete)}"]
    lines += [f"• {escape(part)}" for part in estimate.basis]
    return "\n".join(lines)

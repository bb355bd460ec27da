"""A run's thread: one message per stage, and the summary."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
)

from engine.runner.projection import RunSummary, StageView
from engine.runs import RunState
from handlers.blocks.kit import Rendered, button, dump, duration_text, escape, md, mention
from handlers.ids import ActionId, BlockId

_STAGE_ICONS = {
    "pending": ":white_circle:",
    "running": ":arrows_counterclockwise:",
    "retrying": ":repeat:",
    "succeeded": ":white_check_mark:",
    "failed": ":x:",
    "skipped": ":fast_forward:",
    "aborted": ":octagonal_sign:",
}


def stage_message(view: StageView) -> Rendered:
    icon = _STAGE_ICONS.get(view.state, ":grey_question:")
    head = f"{icon} Stage {view.number} of {view.of}: *{escape(view.stage)}* — {view.state}"
    details = []
    if view.fraction is not None:
        details.append(f"{round(view.fraction * 100)}% done")
    if view.seconds is not None:
        details.append(duration_text(view.seconds))
    if view.attempt and view.attempt > 1:
        details.append(f"attempt {view.attempt}")
    line = head + (f" ({', '.join(details)})" if details else "")
    if view.by:
        line += f"\nskipped by {mention(view.by)}"
    elif view.message:
        line += f"\n{escape(view.message)}"
    blocks: list[Block] = [md(line)]
    if view.controls:
        blocks.append(
            ActionsBlock(
                block_id=BlockId.STAGE_CONTROLS.value,
                elements=[
                    button("Retry", ActionId.RETRY, view.run_id, "primary"),
                    button("Skip", ActionId.SKIP, view.run_id),
                    button("Abort", ActionId.ABORT, view.run_id, "danger"),
                ],
            )
        )
    text = f"Stage {view.number}/{view.of} {view.stage}: {view.state}"
    return Rendered(text, dump(blocks))


def summary_message(summary: RunSummary) -> Rendered:
    ok = summary.state is RunState.SUCCEEDED
    icon = ":white_check_mark:" if ok else ":x:"
    rto = duration_text(summary.rto_seconds)
    objective = duration_text(summary.rto_objective)
    verdict = ""
    if summary.rto_seconds is not None:
        met = summary.rto_seconds <= summary.rto_objective
        verdict = " — within the objective" if met else " — *over the objective*"
    basis = f" · {escape(summary.rto_basis)}" if summary.rto_basis else ""
    lines = [
        f"{icon} *Run {summary.state.value}* · plan `{escape(summary.plan)}`",
        f"*RTO measured:* {rto} (objective {objective}){verdict}{basis}",
    ]
    rpo_objective = duration_text(summary.rpo_objective)
    if summary.rpo_seconds is not None:
        lines.append(
            f"*RPO evidence:* replication lag {duration_text(summary.rpo_seconds)} "
            f"(objective {rpo_objective})"
            + ("" if summary.rpo_seconds <= summary.rpo_objective else " — *over the objective*")
        )
    if summary.rpo_evidence:
        evidence = "; ".join(escape(e) for e in summary.rpo_evidence)
        lines.append(f"*Catch-up stages said:* {evidence}")
    if summary.rpo_seconds is None and not summary.rpo_evidence:
        lines.append(
            f"*RPO evidence:* none — no stage of this plan measured replication "
            f"(objective {rpo_objective})"
        )
    lines.append(f"*Run's total time:* {duration_text(summary.seconds)}")
    if summary.reason and not ok:
        lines.append(f"*Why:* {escape(summary.reason)}")
    stages = "\n".join(
        f"• {escape(name)}: {state} ({duration_text(seconds)})"
        for name, state, seconds in summary.stages
    )
    blocks: list[Block] = [md("\n".join(lines))]
    if stages:
        blocks.append(md(stages))
    text = f"Run {summary.state.value}: RTO {rto}"
    return Rendered(text, dump(blocks))

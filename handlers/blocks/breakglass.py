"""A decision taken from the command line (break-glass), as the run's thread tells it once
Slack answers: who, what, when, and why in their own words."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from engine.incidents.authority import Act
from engine.incidents.breakglass import TakenNote
from handlers.blocks.kit import Rendered, context, dump, escape, md, mention

_DID = {
    Act.APPROVE: "approved this proposal",
    Act.DECLINE: "declined this proposal",
    Act.ABORT: "aborted this run",
    Act.RETRY: "retried the failed stage",
    Act.SKIP: "skipped the failed stage",
}


def break_glass_message(taken: TakenNote) -> Rendered:
    note = taken.note
    did = _DID.get(note.act, str(note.act))
    if note.stage:
        did += f" `{escape(note.stage)}`"
    head = (
        f"{mention(taken.user)} {did} from the command line (break-glass) at "
        f"{taken.at:%Y-%m-%d %H:%M:%S} UTC"
    )
    blocks: list[Block] = [md(f":rotating_light: {head}: {escape(note.reason)}")]
    if note.said:
        blocks.append(context(f"The command answered: {escape(note.said)}"))
    return Rendered(f"Break-glass: {head}", dump(blocks))

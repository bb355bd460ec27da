"""The channel as plain text: each message's Block Kit read out as a person would read it,
thread replies indented under their parent."""

from __future__ import annotations

from typing import Any

from sandbox.slack import Emulator
from sandbox.slack.visible import Json, block_text


def block_lines(blocks: list[Json]) -> list[str]:
    """A message's blocks as lines: what a person sees of each block (``sandbox.slack.visible``),
    its controls in brackets, a divider as a dash."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "divider":
            lines.append("—")
        elif kind == "actions":
            lines.append(" ".join(f"[{label}]" for label in block_text(block)))
        else:
            lines.extend(line for text in block_text(block) for line in text.splitlines())
    return [line for line in lines if line.strip()]


def render_message(message: Any, indent: str = "") -> list[str]:
    lines = block_lines(message.blocks) if message.blocks else message.text.splitlines()
    edits = f"  (edited {message.edit_count}×)" if getattr(message, "edit_count", 0) else ""
    head = f"{indent}• {lines[0] if lines else ''}{edits}"
    shared = [
        f"{indent}  [{f.get('mimetype', 'file')}: {f.get('name', '')}, {f.get('size', 0)} bytes]"
        for f in getattr(message, "files", [])
    ]
    return [head, *(f"{indent}  {line}" for line in lines[1:]), *shared]


def channel_transcript(slack: Emulator, channel: str = "#incidents") -> str:
    out: list[str] = [f"=== {channel} ==="]
    for message in slack.messages(channel):
        out.extend(render_message(message))
        if message.reply_count:
            for reply in slack.replies(channel, message.ts):
                out.extend(render_message(reply, indent="    "))
    if len(out) == 1:
        out.append("(no messages)")
    return "\n".join(out)


def ephemeral_transcript(slack: Emulator, user: str) -> str:
    found = slack.ephemeral(user)
    if not found:
        return ""
    out = [f"=== only visible to {user} ==="]
    for message in found:
        out.extend(render_message(message))
    return "\n".join(out)

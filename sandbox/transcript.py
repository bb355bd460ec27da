"""The channel as plain text: each message's Block Kit read out as a person would read it,
thread replies indented under their parent."""

from __future__ import annotations

from typing import Any

from sandbox.slack import Emulator

Json = dict[str, Any]


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return ""


def block_lines(blocks: list[Json]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("section", "header"):
            if block.get("text"):
                lines.extend(_text(block["text"]).splitlines())
            fields = [_text(f) for f in block.get("fields", [])]
            if fields:
                lines.append(" | ".join(f.replace("\n", " ") for f in fields))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                lines.append(f"[{_text(accessory.get('text'))}]")
        elif kind == "context":
            parts = [_text(e) for e in block.get("elements", []) if e.get("type") != "image"]
            lines.append("  ".join(p for p in parts if p))
        elif kind == "actions":
            buttons = [
                f"[{_text(e.get('text'))}]" for e in block.get("elements", []) if e.get("text")
            ]
            if buttons:
                lines.append(" ".join(buttons))
        elif kind == "divider":
            lines.append("—")
        elif kind == "rich_text":
            lines.append(str(block.get("elements", ""))[:200])
    return [line for line in lines if line.strip()]


def render_message(message: Any, indent: str = "") -> list[str]:
    lines = block_lines(message.blocks) if message.blocks else message.text.splitlines()
    edits = f"  (edited {message.edit_count}×)" if getattr(message, "edit_count", 0) else ""
    head = f"{indent}• {lines[0] if lines else ''}{edits}"
    return [head, *(f"{indent}  {line}" for line in lines[1:])]


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

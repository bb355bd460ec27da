"""A button of a Slack message found by the label a person sees on it (what else a person sees
is read by the emulator's ``sandbox.slack.visible``)."""

from __future__ import annotations

from collections.abc import Iterable

from sandbox.slack.visible import Json, buttons


def button(blocks: Iterable[Json], label: str) -> Json:
    """The one button labelled ``label``: to check what the label does not show (its action
    id, value, style or confirm dialog) on the element itself."""
    matching = [b for b in buttons(blocks) if b["text"]["text"] == label]
    labels = [b["text"]["text"] for b in buttons(blocks)]
    assert len(matching) == 1, f"expected one button {label!r}, the buttons are {labels}"
    return matching[0]

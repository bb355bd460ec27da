"""Which message of a run, a drill or a silence one is: its role. The engine keeps where each
message is under its subject and role (``MessageLocations``), so every replica edits the one
another posted; the names are the surfaces' own, and only they spell them."""

from __future__ import annotations

PROPOSAL = "proposal"
"""A run's head: its proposal (or a drill's header); its thread holds the rest."""
SUMMARY = "summary"
"""A run's last word, in its thread."""
STAGE = "stage:"
"""Prefix of a stage's message in its run's thread (``stage:<name>``)."""
SILENCE = "silence"
"""A silence's announcement; what it holds back is noted in its thread."""


def held_back(level: int) -> str:
    """The note, in a silence's thread, of the proposal of ``level`` it held back."""
    return f"held:{level}"


BREAK_GLASS = "cli:"
"""Prefix of the note, in a run's thread, of a decision taken from the command line
(``cli:<seq>``, the audit event's place in the log)."""


def break_glass(seq: int) -> str:
    return f"{BREAK_GLASS}{seq}"

"""What a command prints: aligned tables, one line of JSON, colour only on a terminal.

Whether colour is allowed (``NO_COLOR``, read by ``bot.settings``) is asked only when the stream
is a terminal, so piped output never costs the settings' import. Colour never changes the
text: cells are padded before they are painted, and piped output carries no escape codes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TextIO


class Style(Enum):
    """The few styles the command line uses, as SGR codes (ECMA-48)."""

    BOLD = "1"
    DIM = "2"
    RED = "31"
    GREEN = "32"
    YELLOW = "33"


@dataclass(frozen=True)
class Cell:
    """A table cell with a style; a plain ``str`` cell has none."""

    text: str
    style: Style | None = None


TableCell = str | Cell


class Output:
    """One output stream of a command. ``colour_allowed`` is asked at most once, and only when
    the stream is a terminal."""

    def __init__(self, stream: TextIO, colour_allowed: Callable[[], bool]) -> None:
        self.stream = stream
        self._colour_allowed = colour_allowed
        self._colour: bool | None = None

    @property
    def colour(self) -> bool:
        if self._colour is None:
            isatty = getattr(self.stream, "isatty", None)
            self._colour = bool(isatty and isatty()) and self._colour_allowed()
        return self._colour

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def paint(self, text: str, style: Style | None) -> str:
        if style is None or not self.colour or not text:
            return text
        return f"\x1b[{style.value}m{text}\x1b[0m"

    def json(self, value: Any) -> None:
        """One JSON document on one line: a script reads it with one ``json.loads``."""
        self.line(json.dumps(value))

    def table(self, header: Sequence[str], rows: Iterable[Sequence[TableCell]]) -> None:
        """Columns as wide as their widest cell, two spaces apart; the last column (free text)
        is not padded. The header is bold on a terminal."""
        body = [[_cell(c) for c in row] for row in rows]
        head = [Cell(h, Style.BOLD) for h in header]
        widths = [max(len(row[i].text) for row in (head, *body)) for i in range(len(head) - 1)]
        for row in (head, *body):
            self.row(row, widths)

    def row(self, cells: Sequence[TableCell], widths: Sequence[int]) -> None:
        """One line of a table whose column widths are known ahead (a streamed table); cells
        past ``widths`` are not padded."""
        parts = [_cell(c) for c in cells]
        padded = [
            self.paint(cell.text, cell.style) + " " * (max(width, len(cell.text)) - len(cell.text))
            for cell, width in zip(parts, widths, strict=False)
        ]
        rest = [self.paint(cell.text, cell.style) for cell in parts[len(widths) :]]
        self.line("  ".join([*padded, *rest]).rstrip())


def _cell(cell: TableCell) -> Cell:
    return cell if isinstance(cell, Cell) else Cell(cell)

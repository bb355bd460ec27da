"""A reader of Grafana Alloy's configuration syntax, as far as deploy/loki/config.alloy uses
it: blocks (``name.with.dots "label" { ... }``), attributes (``key = value``), objects
(``{ key = value, ... }``), lists, strings, numbers, booleans, references
(``component.name.export``) and ``//`` comments. No Alloy binary is installable here, so this
checks the shape and the names; anything outside that subset is refused as a syntax error.

Syntax: https://grafana.com/docs/alloy/latest/get-started/configuration-syntax/
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<comment>//[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<punct>[{}\[\]=,])
    )""",
    re.X,
)


class AlloySyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Reference:
    """An expression naming another component's export, e.g. ``loki.write.default.receiver``."""

    path: str


@dataclass
class Block:
    name: str
    label: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def children(self, name: str) -> list[Block]:
        return [b for b in self.blocks if b.name == name]

    def child(self, name: str) -> Block:
        [found] = self.children(name)
        return found


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            line = text.count("\n", 0, position) + 1
            raise AlloySyntaxError(f"line {line}: unexpected {text[position : position + 20]!r}")
        position = match.end()
        kind = match.lastgroup
        assert kind is not None
        if kind != "comment":
            found.append((kind, match.group(kind)))
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str:
        got = self.peek()
        if got[0] != kind or (value is not None and got[1] != value):
            raise AlloySyntaxError(f"expected {value or kind}, found {got[1] or 'the end'!r}")
        self.at += 1
        return got[1]

    def body(self, closing: str | None) -> Block:
        block = Block("", None)
        while self.peek()[0] != "end" and self.peek() != ("punct", closing or ""):
            name = self.take("ident")
            if self.peek() == ("punct", "="):
                self.take("punct", "=")
                if name in block.attributes:
                    raise AlloySyntaxError(f"attribute {name} set twice")
                block.attributes[name] = self.value()
                continue
            label = self.take("string")[1:-1] if self.peek()[0] == "string" else None
            self.take("punct", "{")
            inner = self.body("}")
            self.take("punct", "}")
            block.blocks.append(Block(name, label, inner.attributes, inner.blocks))
        return block

    def value(self) -> Any:
        kind, text = self.peek()
        self.at += 1
        if kind == "string":
            return text[1:-1].encode().decode("unicode_escape")
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "ident":
            return {"true": True, "false": False, "null": None}.get(text, Reference(text))
        if (kind, text) == ("punct", "["):
            items = []
            while self.peek() != ("punct", "]"):
                items.append(self.value())
                if self.peek() != ("punct", "]"):
                    self.take("punct", ",")
            self.take("punct", "]")
            return items
        if (kind, text) == ("punct", "{"):
            members: dict[str, Any] = {}
            while self.peek() != ("punct", "}"):
                key = self.take("ident")
                self.take("punct", "=")
                members[key] = self.value()
                if self.peek() != ("punct", "}"):
                    self.take("punct", ",")
            self.take("punct", "}")
            return members
        raise AlloySyntaxError(f"unexpected {text!r}")


def parse(text: str) -> list[Block]:
    """The configuration's top-level blocks (its components)."""
    parser = _Parser(text)
    root = parser.body(None)
    parser.take("end")
    if root.attributes:
        raise AlloySyntaxError(f"attributes outside a block: {sorted(root.attributes)}")
    return root.blocks

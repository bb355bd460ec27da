"""The block structure of a Groovy script such as a declarative Jenkinsfile, read without a
Groovy toolchain: comments and strings (single, double and triple quoted, with escapes) are
skipped as Groovy's lexer skips them, and every ``name(args) { ... }`` becomes a ``Block``.

It checks what can be checked without Jenkins: that every string, comment, parenthesis and
brace is closed, and which blocks nest where. It is not Jenkins's declarative linter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEAD = re.compile(r"([A-Za-z_][\w.]*)\s*(\((?P<args>[^()]*)\))?\s*$", re.DOTALL)
_QUOTES = ("'''", '"""', "'", '"')


@dataclass
class Block:
    name: str
    args: str = ""
    text: str = ""
    """The block's own text between its braces, strings included, comments removed."""
    children: list[Block] = field(default_factory=list)

    def only(self, name: str) -> Block:
        found = [c for c in self.children if c.name == name]
        assert len(found) == 1, f"{self.name} holds {len(found)} {name} blocks"
        return found[0]


class GroovySyntaxError(AssertionError):
    pass


def without_comments(source: str) -> str:
    """``source`` with its comments blanked out and its strings kept; raises on anything left
    open."""
    out: list[str] = []
    i = 0
    depth: list[str] = []
    pairs = {"(": ")", "{": "}", "[": "]"}
    while i < len(source):
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = len(source) if end < 0 else end
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise GroovySyntaxError(f"comment opened at {i} is never closed")
            i = end + 2
            continue
        quote = next((q for q in _QUOTES if source.startswith(q, i)), None)
        if quote is not None:
            end = _string_end(source, i, quote)
            out.append(source[i:end])
            i = end
            continue
        char = source[i]
        if char in pairs:
            depth.append(pairs[char])
        elif char in pairs.values() and (not depth or depth.pop() != char):
            raise GroovySyntaxError(f"unbalanced {char!r} at {i}")
        out.append(char)
        i += 1
    if depth:
        raise GroovySyntaxError(f"{len(depth)} bracket(s) never closed")
    return "".join(out)


def blocks(source: str) -> list[Block]:
    """The top-level blocks of ``source``."""
    text = without_comments(source)
    root = Block("<script>")
    stack = [root]
    opened = [0]
    i = 0
    while i < len(text):
        quote = next((q for q in _QUOTES if text.startswith(q, i)), None)
        if quote is not None:
            i = _string_end(text, i, quote)
            continue
        if text[i] == "{":
            begin = max(text.rfind(c, 0, i) for c in "\n{};") + 1
            head = _HEAD.search(text[begin:i].strip())
            block = Block(head.group(1) if head else "<closure>", (head and head["args"]) or "")
            stack[-1].children.append(block)
            stack.append(block)
            opened.append(i + 1)
        elif text[i] == "}":
            stack.pop().text = text[opened.pop() : i]
        i += 1
    return root.children


def _string_end(source: str, start: int, quote: str) -> int:
    i = start + len(quote)
    while i < len(source):
        if source[i] == "\\":
            i += 2
            continue
        if source.startswith(quote, i):
            return i + len(quote)
        if len(quote) == 1 and source[i] == "\n":
            break
        i += 1
    raise GroovySyntaxError(f"string opened at {start} is never closed")

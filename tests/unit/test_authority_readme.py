"""The README's table of who may do what is the engine's table, row for row."""

from __future__ import annotations

from pathlib import Path

from engine.incidents.authority import RULES, Rule

README = Path(__file__).resolve().parents[2] / "README.md"
HEADER = ("| what | who may | and | audited as |", "|---|---|---|---|")


def row(rule: Rule) -> str:
    audited = f"`{rule.audited}`; refused: `{rule.refused}`" if rule.refused else "—"
    return f"| {rule.what} | {rule.who} | {rule.also or '—'} | {audited} |"


def readme_table() -> list[str]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER[0])
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return table


def test_the_readme_table_is_the_engines() -> None:
    assert readme_table() == [*HEADER, *(row(rule) for rule in RULES)]

"""The README's layout is the tree: every folder and top-level module of the code it maps is
named there, and so is every import contract ``make test`` holds the tree to; and every package
says in its ``__init__`` what it holds."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAPPED = ("engine", "handlers", "bot", "sandbox")
"""The packages whose folders and top-level modules the layout names one by one."""


def layout() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Layout\n")
    return text[start : text.index("\n## ", start + 1)]


def in_the_tree() -> list[str]:
    names = [f"{package}/" for package in MAPPED]
    for package in MAPPED:
        for path in sorted((ROOT / package).iterdir()):
            if path.is_dir() and (path / "__init__.py").exists():
                names.append(f"{path.name}/")
            elif path.suffix == ".py" and path.name != "__init__.py" and package != "sandbox":
                names.append(path.name)
    return names


def test_every_folder_and_top_level_module_is_in_the_layout() -> None:
    shown = set(re.findall(r"[\w.]+/?", layout()))
    missing = [name for name in in_the_tree() if name not in shown]
    assert not missing, f"README's layout does not name {missing}"


def test_every_import_contract_is_in_the_layout() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    text = " ".join(layout().split())
    missing = [c["name"] for c in contracts if f"*{c['name']}*" not in text]
    assert not missing, f"README's layout does not list the contracts {missing}"


def test_every_package_says_what_it_holds() -> None:
    packages = [
        init.parent
        for top in (*MAPPED, "tests", "reference_services")
        for init in sorted((ROOT / top).rglob("__init__.py"))
    ]
    silent = [
        str(package.relative_to(ROOT))
        for package in packages
        if not ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    ]
    assert not silent, f"these packages' __init__ has no docstring: {silent}"

"""The lock, ``deploy/constraints.txt``, read as the deploy tests need it."""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = "deploy/constraints.txt"


def pins(text: str) -> dict[str, str]:
    """Distribution name (canonical) -> version, of ``name==version`` lines such as
    ``pip freeze`` writes; comments and blank lines are skipped."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, separator, version = line.partition("==")
        assert separator, f"not a pin: {raw!r}"
        found[canonicalize_name(name.strip())] = version.split(";", 1)[0].strip()
    return found


def locked() -> dict[str, str]:
    return pins((ROOT / LOCK).read_text())

"""The lock, ``deploy/constraints.txt``: every dependency pyproject names, at one version within
pyproject's bounds, installed by ``make test`` as by the image, so what the tests passed with
is what the image runs."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.lock import LOCK, ROOT, locked


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in ("test", "deploy", "sandbox"):
        declared += project["optional-dependencies"][extra]
    return [Requirement(r) for r in declared]


def test_every_dependency_is_locked_within_pyprojects_bounds() -> None:
    lock = locked()
    outside: dict[str, str] = {}
    for requirement in requirements():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement.name} is not in {LOCK}: run `make lock`"
        if not requirement.specifier.contains(lock[name], prereleases=True):
            outside[requirement.name] = f"{lock[name]} not in {requirement.specifier}"
    assert outside == {}


def test_make_test_installs_with_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^LOCK := {re.escape(LOCK)}$", makefile, re.MULTILINE)
    install = re.search(
        r"^\t\$\(BIN\)/pip install .*-e '\.\[test,deploy,sandbox\]'$", makefile, re.M
    )
    assert install is not None
    assert "-c $(LOCK)" in install.group(0)
    # The venv is made again whenever the lock changes.
    assert re.search(r"^\$\(BIN\)/phoenix: .*\$\(LOCK\)", makefile, re.MULTILINE)


def test_these_tests_run_with_the_locked_versions() -> None:
    differ: dict[str, str] = {}
    for name, pinned in locked().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            differ[name] = f"{pinned} locked, not installed"
            continue
        if installed != pinned:
            differ[name] = f"{pinned} locked, {installed} installed"
    assert differ == {}, "the venv is not the lock's: `make` installs it again"

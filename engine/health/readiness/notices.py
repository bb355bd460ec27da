"""When the incident channel hears of a check: once it stops being ready and once it is ready
again, each only after the new reading has held for ``confirm`` sweeps in a row — one notice a
change, never one a sweep, and none for a blip. Pure.

``unknown`` counts as not ready, as everywhere in readiness. A check seen for the first time is
taken as it reads, without a notice: the channel hears of changes, not of the state a new
check (or a fresh install) starts in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.readiness import Announced, CheckResult


@dataclass(frozen=True)
class Change:
    """A check whose readiness the channel is to be told changed."""

    check: CheckResult

    @property
    def recovered(self) -> bool:
        return self.check.ready


def announce(
    told: Mapping[str, Announced], checks: Sequence[CheckResult], confirm: int
) -> tuple[dict[str, Announced], list[Change]]:
    """What the channel has been told after this sweep, and the changes to tell it now."""
    after: dict[str, Announced] = {}
    changes: list[Change] = []
    for check in checks:
        before = told.get(check.name)
        if before is None or before.ready == check.ready:
            after[check.name] = Announced(check.ready)
            continue
        pending = before.pending + 1
        if pending >= confirm:
            changes.append(Change(check))
            after[check.name] = Announced(check.ready)
        else:
            after[check.name] = Announced(before.ready, pending)
    return after, changes

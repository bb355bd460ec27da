"""Slack's user groups as the engine asks about them (the ``GroupDirectory`` port): members by
group, none at all, or a directory that cannot answer."""

from __future__ import annotations

from collections.abc import Mapping

from engine.errors import DirectoryUnavailable


class Groups:
    """Members by group id (no group has members unless given); ``broken`` answers every
    question with ``DirectoryUnavailable``, as when Slack cannot be reached. ``asked`` lists
    the groups looked up, in order."""

    def __init__(
        self, members: Mapping[str, frozenset[str]] | None = None, *, broken: bool = False
    ) -> None:
        self._members, self._broken = dict(members or {}), broken
        self.asked: list[str] = []

    def members(self, group_id: str) -> frozenset[str]:
        self.asked.append(group_id)
        if self._broken:
            raise DirectoryUnavailable("Slack could not be reached: connection refused")
        return self._members.get(group_id, frozenset())

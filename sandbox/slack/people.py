"""The test API's view of the directory: add people, channels and groups; look them up."""

from __future__ import annotations

from typing import Any

from sandbox.slack.state import Workspace

Json = dict[str, Any]


class People:
    """Directory part of the test API (a base of ``Control``)."""

    _ws: Workspace

    def add_user(
        self,
        name: str,
        *,
        id: str | None = None,
        real_name: str | None = None,
        approver: bool = False,
    ) -> str:
        with self._ws.lock:
            user = self._ws.directory.add_user(name, id=id, real_name=real_name, approver=approver)
            self._ws.touch()
            return user.id

    def add_channel(self, name: str, *, id: str | None = None, private: bool = False) -> str:
        with self._ws.lock:
            channel = self._ws.directory.add_channel(name, id=id, private=private)
            self._ws.touch()
            return channel.id

    def add_usergroup(
        self, handle: str, members: list[str], *, id: str | None = None, name: str | None = None
    ) -> str:
        with self._ws.lock:
            group = self._ws.directory.add_usergroup(handle, members, id=id, name=name)
            self._ws.touch()
            return group.id

    def users(self) -> list[Json]:
        with self._ws.lock:
            return [u.to_dict() for u in self._ws.directory.users.values()]

    def channels(self) -> list[Json]:
        with self._ws.lock:
            return [c.to_dict() for c in self._ws.directory.channels.values()]

    def usergroups(self) -> list[Json]:
        with self._ws.lock:
            return [g.to_dict() for g in self._ws.directory.usergroups.values()]

    def channel_id(self, channel: str) -> str:
        """A channel's id from its id, ``#name`` or ``name`` (or a user id: their DM)."""
        with self._ws.lock:
            found = self._ws.directory.resolve_channel(channel)
            if found is None:
                raise LookupError(f"no channel {channel!r}")
            return found.id

    def issue_trigger(self, user: str) -> str:
        """A fresh trigger_id for ``user``, as an interaction would carry (for direct API tests)."""
        with self._ws.lock:
            self._check_user(user)
            return self._ws.issue_trigger(user)

    def _check_user(self, user: str) -> None:
        if user not in self._ws.directory.users:
            raise LookupError(f"no user {user!r}")

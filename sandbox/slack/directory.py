"""Who and where: the workspace's team, users, channels and user groups.

Not thread-safe on its own; the workspace holds the lock around every use.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Identity:
    """The emulated team and the one app installed in it."""

    team_id: str = "TSANDBOX1"
    team_domain: str = "cloudphoenix-sandbox"
    team_name: str = "CloudPhoenix Sandbox"
    app_id: str = "ASANDBOX1"
    bot_user_id: str = "UPHOENIXBOT"
    bot_user_name: str = "phoenix"
    bot_id: str = "BPHOENIXBOT"


@dataclass
class User:
    id: str
    name: str
    real_name: str
    approver: bool = False
    is_bot: bool = False
    deleted: bool = False

    def to_api(self, team_id: str) -> Json:
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_admin": False,
            "is_owner": False,
            "tz": "Etc/UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "updated": 1700000000,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name,
                "real_name_normalized": self.real_name,
                "display_name_normalized": self.name,
                "team": team_id,
            },
        }

    def to_dict(self) -> Json:
        return {
            "id": self.id,
            "name": self.name,
            "real_name": self.real_name,
            "approver": self.approver,
            "is_bot": self.is_bot,
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    im_user: str | None = None
    created: int = 1700000000

    @property
    def is_im(self) -> bool:
        return self.im_user is not None

    def to_api(self) -> Json:
        if self.im_user is not None:
            return {
                "id": self.id,
                "is_im": True,
                "user": self.im_user,
                "created": self.created,
                "is_org_shared": False,
                "is_user_deleted": False,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_general": self.name == "general",
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": True,
            "created": self.created,
            "creator": "",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }

    def to_dict(self) -> Json:
        return {
            "id": self.id,
            "name": self.name,
            "is_private": self.is_private,
            "is_im": self.is_im,
            "user": self.im_user,
        }


@dataclass
class UserGroup:
    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)

    def to_dict(self) -> Json:
        return {"id": self.id, "handle": self.handle, "name": self.name, "users": list(self.users)}


class Directory:
    """Users, channels (by id, by name, and one DM per user) and user groups."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, UserGroup] = {}
        self._ids = itertools.count(1)
        self.users[identity.bot_user_id] = User(
            identity.bot_user_id, identity.bot_user_name, "CloudPhoenix", is_bot=True
        )

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}SBX{next(self._ids):05d}"

    def add_user(
        self,
        name: str,
        *,
        id: str | None = None,
        real_name: str | None = None,
        approver: bool = False,
    ) -> User:
        user_id = id or self._new_id("U")
        if user_id in self.users:
            raise ValueError(f"user {user_id} already exists")
        user = User(user_id, name, real_name or name.title(), approver=approver)
        self.users[user_id] = user
        return user

    def add_channel(self, name: str, *, id: str | None = None, private: bool = False) -> Channel:
        name = name.removeprefix("#")
        if self.channel_by_name(name) is not None:
            raise ValueError(f"channel #{name} already exists")
        channel = Channel(id or self._new_id("G" if private else "C"), name, is_private=private)
        self.channels[channel.id] = channel
        return channel

    def add_usergroup(
        self, handle: str, members: list[str], *, id: str | None = None, name: str | None = None
    ) -> UserGroup:
        for member in members:
            if member not in self.users:
                raise ValueError(f"unknown user {member}")
        group = UserGroup(id or self._new_id("S"), handle, name or handle, list(members))
        self.usergroups[group.id] = group
        return group

    def channel_by_name(self, name: str) -> Channel | None:
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        return None

    def dm_channel(self, user_id: str) -> Channel:
        """The bot's DM with a user (its App Home 'Messages' tab), created on first use."""
        for channel in self.channels.values():
            if channel.im_user == user_id:
                return channel
        channel = Channel("D" + user_id.removeprefix("U"), user_id, im_user=user_id)
        self.channels[channel.id] = channel
        return channel

    def resolve_channel(self, ref: str) -> Channel | None:
        """A channel by id, by ``#name`` or ``name``, or a user id (their DM), as Slack does."""
        if ref in self.channels:
            return self.channels[ref]
        if ref in self.users and not self.users[ref].is_bot:
            return self.dm_channel(ref)
        return self.channel_by_name(ref.removeprefix("#"))


def seed(directory: Directory) -> None:
    """The default world: three people (two approvers), three channels, one approver group."""
    alice = directory.add_user("alice", id="UALICE", real_name="Alice Archer", approver=True)
    bob = directory.add_user("bob", id="UBOB", real_name="Bob Baker", approver=True)
    directory.add_user("carol", id="UCAROL", real_name="Carol Cole")
    directory.add_channel("general", id="CGENERAL")
    directory.add_channel("incidents", id="CINCIDENTS")
    directory.add_channel("dr-drills", id="CDRDRILLS")
    directory.add_usergroup(
        "dr-approvers", [alice.id, bob.id], id="SAPPROVERS", name="DR approvers"
    )

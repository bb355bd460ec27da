"""The workspace's stored things, mutable inside the workspace's lock: messages, ephemeral
messages, views, trigger ids and response-URL targets. Tests see them only as snapshots."""

from __future__ import annotations

import copy
import mimetypes
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.slack.directory import Identity
from sandbox.slack.records import EphemeralMessage, File, Message, MessageVersion, View

Json = dict[str, Any]
EphemeralSource = Literal["chat.postEphemeral", "ack", "response_url", "slack"]


@dataclass
class StoredMessage:
    ts: str
    channel: str
    user: str
    bot_id: str | None
    text: str
    blocks: list[Json]
    thread_ts: str | None
    replies: list[str] = field(default_factory=list)
    edits: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    files: list[Json] = field(default_factory=list)
    """The file objects shared with this message (files.completeUploadExternal)."""

    def replace_content(self, text: str, blocks: list[Json], via: str) -> None:
        self.edits.append(MessageVersion(self.text, self.blocks, time.time(), via))
        self.text, self.blocks = text, blocks

    def to_api(self, identity: Identity) -> Json:
        """The message as Slack returns it from chat.postMessage or in payloads."""
        body: Json = {
            "type": "message",
            "text": self.text,
            "user": self.user,
            "ts": self.ts,
            "team": identity.team_id,
            "blocks": copy.deepcopy(self.blocks),
        }
        if self.bot_id is not None:
            body["bot_id"] = self.bot_id
            body["app_id"] = identity.app_id
        if self.thread_ts is not None:
            body["thread_ts"] = self.thread_ts
        if self.replies:
            body["reply_count"] = len(self.replies)
            body["thread_ts"] = self.ts
        if self.edits:
            body["edited"] = {"user": self.user, "ts": self.edits[-1].replaced_at}
        if self.files:
            body["files"] = copy.deepcopy(self.files)
            body["upload"] = True
        return body

    def snapshot(self) -> Message:
        return Message(
            ts=self.ts,
            channel=self.channel,
            user=self.user,
            bot_id=self.bot_id,
            text=self.text,
            blocks=copy.deepcopy(self.blocks),
            thread_ts=self.thread_ts,
            reply_count=len(self.replies),
            edits=list(self.edits),
            deleted=self.deleted,
            files=copy.deepcopy(self.files),
        )


@dataclass
class StoredFile:
    """A file from ``files.getUploadURLExternal`` on: its announced name and length, the bytes
    posted to its upload URL, and where ``files.completeUploadExternal`` shared it."""

    id: str
    filename: str
    length: int
    ticket: str
    """The secret part of its upload URL."""
    alt_txt: str = ""
    content: bytes | None = None
    title: str = ""
    completed: bool = False
    shares: list[tuple[str, str]] = field(default_factory=list)
    """(channel, message ts) of each message that shares it."""

    @property
    def mimetype(self) -> str:
        return mimetypes.guess_type(self.filename)[0] or "application/octet-stream"

    def to_api(self, base_url: str) -> Json:
        """The file object, as a message that shares it carries it."""
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "mimetype": self.mimetype,
            "filetype": self.filename.rpartition(".")[2].lower() if "." in self.filename else "",
            "size": self.length,
            "alt_txt": self.alt_txt,
            "url_private": f"{base_url}/_slack/files/{self.id}/{self.filename}",
        }

    def snapshot(self) -> File:
        return File(
            id=self.id,
            filename=self.filename,
            title=self.title,
            length=self.length,
            mimetype=self.mimetype,
            alt_txt=self.alt_txt,
            content=self.content,
            completed=self.completed,
            shares=list(self.shares),
        )


@dataclass
class StoredEphemeral:
    ts: str
    channel: str
    user: str
    text: str
    blocks: list[Json]
    thread_ts: str | None
    source: EphemeralSource
    edits: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False

    def replace_content(self, text: str, blocks: list[Json], via: str) -> None:
        self.edits.append(MessageVersion(self.text, self.blocks, time.time(), via))
        self.text, self.blocks = text, blocks

    def to_api(self) -> Json:
        return {
            "type": "message",
            "text": self.text,
            "ts": self.ts,
            "blocks": copy.deepcopy(self.blocks),
            "is_ephemeral": True,
        }

    def snapshot(self) -> EphemeralMessage:
        return EphemeralMessage(
            ts=self.ts,
            channel=self.channel,
            user=self.user,
            text=self.text,
            blocks=copy.deepcopy(self.blocks),
            thread_ts=self.thread_ts,
            source=self.source,
            edits=list(self.edits),
            deleted=self.deleted,
        )


@dataclass
class StoredView:
    id: str
    user: str
    body: Json
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    errors: dict[str, str] | None = None
    state_values: Json = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.body.get("type", ""))

    def to_api(self, identity: Identity) -> Json:
        """Slack's view object."""
        return {
            "id": self.id,
            "team_id": identity.team_id,
            "type": self.type,
            "blocks": copy.deepcopy(self.body.get("blocks", [])),
            "private_metadata": self.body.get("private_metadata", ""),
            "callback_id": self.body.get("callback_id", ""),
            "state": {"values": copy.deepcopy(self.state_values)},
            "hash": self.hash,
            "title": copy.deepcopy(self.body.get("title")),
            "clear_on_close": bool(self.body.get("clear_on_close", False)),
            "notify_on_close": bool(self.body.get("notify_on_close", False)),
            "close": copy.deepcopy(self.body.get("close")),
            "submit": copy.deepcopy(self.body.get("submit")),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": identity.app_id,
            "external_id": self.body.get("external_id", ""),
            "app_installed_team_id": identity.team_id,
            "bot_id": identity.bot_id,
        }

    def snapshot(self) -> View:
        body = copy.deepcopy(self.body)
        return View(self.id, self.user, self.type, body, self.hash, copy.deepcopy(self.errors))


@dataclass
class Trigger:
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseTarget:
    """Where a response_url's posts land: the interaction's channel, user and source message."""

    channel: str
    user: str
    issued_at: float
    message_ts: str | None = None
    ephemeral_source: bool = False
    thread_ts: str | None = None
    uses: int = 0

"""What the emulator hands back to tests: frozen snapshots, never live state.

Each record has ``to_dict()`` so the HTTP test API can answer with the same shape.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Json = dict[str, Any]
EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
Transport = Literal["socket_mode", "http"]


def _as_dict(record: Any) -> Json:
    return dataclasses.asdict(record)


@dataclass(frozen=True)
class ApiCall:
    """One Web API call (or response_url post) as the emulator received and answered it."""

    seq: int
    method: str
    args: Json
    at: float
    status: int
    response: Json

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    def to_dict(self) -> Json:
        return _as_dict(self)


@dataclass(frozen=True)
class MessageVersion:
    """A message's content before one of its edits."""

    text: str
    blocks: list[Json]
    replaced_at: float
    via: str


@dataclass(frozen=True)
class Message:
    """A channel message or thread reply."""

    ts: str
    channel: str
    user: str
    bot_id: str | None
    text: str
    blocks: list[Json]
    thread_ts: str | None
    reply_count: int
    edits: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    files: list[Json] = field(default_factory=list)
    """The file objects it shares, as Slack puts them in a message."""

    @property
    def edit_count(self) -> int:
        return len(self.edits)

    @property
    def action_ids(self) -> list[str]:
        """Action ids of the interactive elements in the message, in order."""
        return [e["action_id"] for e in interactive_elements(self.blocks) if "action_id" in e]

    def to_dict(self) -> Json:
        return {**_as_dict(self), "edit_count": self.edit_count, "action_ids": self.action_ids}


@dataclass(frozen=True)
class File:
    """An uploaded file: what was announced, what was posted to its upload URL, and where it
    was shared (channel, message ts)."""

    id: str
    filename: str
    title: str
    length: int
    mimetype: str
    alt_txt: str
    content: bytes | None
    completed: bool
    shares: list[tuple[str, str]]

    def to_dict(self) -> Json:
        """Without the bytes: the test API serves them on their own."""
        found = _as_dict(self)
        found.pop("content")
        found["uploaded"] = self.content is not None
        return found


@dataclass(frozen=True)
class EphemeralMessage:
    """A message only ``user`` sees. ``source`` says what produced it."""

    ts: str
    channel: str
    user: str
    text: str
    blocks: list[Json]
    thread_ts: str | None
    source: Literal["chat.postEphemeral", "ack", "response_url", "slack"]
    edits: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False

    @property
    def action_ids(self) -> list[str]:
        return [e["action_id"] for e in interactive_elements(self.blocks) if "action_id" in e]

    def to_dict(self) -> Json:
        return {**_as_dict(self), "action_ids": self.action_ids}


@dataclass(frozen=True)
class View:
    """A modal or App Home view as the emulator holds it (Slack's view object shape)."""

    id: str
    user: str
    type: str
    body: Json
    hash: str
    errors: dict[str, str] | None = None

    @property
    def callback_id(self) -> str | None:
        value = self.body.get("callback_id")
        return value if isinstance(value, str) else None

    @property
    def blocks(self) -> list[Json]:
        blocks = self.body.get("blocks")
        return blocks if isinstance(blocks, list) else []

    def to_dict(self) -> Json:
        return _as_dict(self)


@dataclass(frozen=True)
class Delivery:
    """One envelope sent to the bot and how (and when) the bot acknowledged it."""

    envelope_id: str
    type: EnvelopeType
    label: str
    transport: Transport
    sent_at: float
    deadline: float
    acked: bool
    ack_latency: float | None
    ack_payload: Json | None
    http_status: int | None
    error: str | None
    retry_num: int | None = None
    payload: Json = field(default_factory=dict)
    retry_reason: str | None = None

    @property
    def on_time(self) -> bool:
        """Acked within the deadline (and, in HTTP mode, answered 200)."""
        return (
            self.acked
            and self.error is None
            and self.ack_latency is not None
            and self.ack_latency <= self.deadline
        )

    @property
    def failed(self) -> bool:
        return not self.on_time

    def to_dict(self) -> Json:
        return {**_as_dict(self), "on_time": self.on_time}


_INTERACTIVE_TYPES = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "overflow",
        "radio_buttons",
        "timepicker",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "file_input",
        "workflow_button",
    }
)


def interactive_elements(blocks: list[Json]) -> list[Json]:
    """Every interactive element of a block list, each with its ``block_id`` added."""
    found: list[Json] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        candidates: list[Any] = []
        if block.get("type") == "actions":
            candidates = list(block.get("elements") or [])
        elif block.get("type") == "section" and block.get("accessory") is not None:
            candidates = [block["accessory"]]
        elif block.get("type") == "input" and block.get("element") is not None:
            candidates = [block["element"]]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") in _INTERACTIVE_TYPES:
                found.append({**element, "block_id": block.get("block_id")})
    return found

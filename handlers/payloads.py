"""The parts of Slack's payloads the listeners read, validated at the boundary (pydantic), and
what the bot's own buttons carry. Unknown fields are ignored: Slack adds fields over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.drills.schedule import Occurrence


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SlashCommand(_Part):
    user_id: str
    channel_id: str
    text: str = ""
    trigger_id: str = ""


class _User(_Part):
    id: str


class _Channel(_Part):
    id: str


class _Action(_Part):
    action_id: str
    value: str = ""


class _Container(_Part):
    message_ts: str | None = None


class Click(_Part):
    """A ``block_actions`` payload."""

    user: _User
    trigger_id: str = ""
    channel: _Channel | None = None
    container: _Container | None = None
    actions: list[_Action] = Field(min_length=1)

    @property
    def message_ts(self) -> str | None:
        return self.container.message_ts if self.container else None

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def value(self) -> str:
        return self.actions[0].value

    @property
    def channel_id(self) -> str | None:
        return self.channel.id if self.channel else None


class _ViewState(_Part):
    values: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)


class _SubmittedView(_Part):
    callback_id: str = ""
    private_metadata: str = ""
    state: _ViewState = _ViewState()


class Submission(_Part):
    """A ``view_submission`` payload."""

    user: _User
    view: _SubmittedView

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def run_id(self) -> str:
        return self.view.private_metadata

    def text(self, block_id: str, action_id: str) -> str:
        element = self.view.state.values.get(block_id, {}).get(action_id, {})
        value = element.get("value")
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class DrillButton:
    """What a drill announcement's Postpone and Skip buttons carry: the occurrence, and the due
    time the announcement showed (a click on an announcement a postpone has since moved is
    refused, never applied to the new time)."""

    drill: str
    scheduled: datetime
    due: datetime

    @classmethod
    def of(cls, occurrence: Occurrence) -> DrillButton:
        return cls(occurrence.drill, occurrence.scheduled, occurrence.due)

    def encode(self) -> str:
        return f"{self.drill}|{self.scheduled.isoformat()}|{self.due.isoformat()}"

    @classmethod
    def decode(cls, value: str) -> DrillButton | None:
        """The button of ``value``; None when it is not a drill button's."""
        parts = value.rsplit("|", 2)
        if len(parts) != 3:
            return None
        try:
            return cls(parts[0], datetime.fromisoformat(parts[1]), datetime.fromisoformat(parts[2]))
        except ValueError:
            return None

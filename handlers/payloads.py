"""What Slack sends the bot, validated at the boundary (pydantic), and what the bot's own
buttons carry.

Each model holds the fields the bot (and Bolt, which routes on them) reads, typed as Slack
documents them; unknown fields are ignored (Slack adds fields over time) and dropped from the
dumped model, so what passes the HTTP edge (``bot.slack_edge``) is exactly what the models
describe. A payload that does not fit — Slack never sends one, but a forger with a leaked
signing secret or a proxy that mangles bodies might — is an ``UnreadablePayload``: the
listener refuses it before its ack, and the app's error handler answers 400 and logs it once,
without its content. Nothing is written and Slack is not called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from engine.drills.schedule import Occurrence
from engine.errors import PhoenixError

Id = Annotated[str, StringConstraints(min_length=1, max_length=255)]
"""A Slack id (user, channel, team, app, action, callback): never empty."""


class UnreadablePayload(PhoenixError):
    """A payload that does not have the shape Slack documents; ``str()`` names the first field
    that is wrong and never quotes a value."""

    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(f"a {kind} payload that cannot be read: {problem}")
        self.kind = kind


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


Model = TypeVar("Model", bound=_Part)


def read(model: type[Model], body: Any, kind: str) -> Model:
    """``body`` as ``model``, or an ``UnreadablePayload`` naming where it is wrong."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise UnreadablePayload(kind, _where(exc)) from None


def _where(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    place = ".".join(str(part) for part in error["loc"]) or "the payload"
    return f"{place}: {error['msg']}"


class SlashCommand(_Part):
    """A slash command; Slack sends every field as a string (form fields in HTTP mode)."""

    command: Id
    user_id: Id
    channel_id: Id
    team_id: Id | None = None
    api_app_id: Id | None = None
    enterprise_id: str | None = None
    text: str = ""
    trigger_id: str = ""
    response_url: str | None = None


class _User(_Part):
    id: Id
    team_id: str | None = None


class _Team(_Part):
    id: Id
    domain: str | None = None
    enterprise_id: str | None = None


class _Enterprise(_Part):
    id: Id


class _Channel(_Part):
    id: Id


class _Action(_Part):
    action_id: Id
    block_id: str | None = None
    type: str | None = None
    value: str = ""
    action_ts: str | None = None


class _Container(_Part):
    type: str | None = None
    message_ts: str | None = None
    channel_id: str | None = None
    view_id: str | None = None
    is_ephemeral: bool | None = None


class _ViewState(_Part):
    values: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)


class _View(_Part):
    type: Id
    """``modal`` or ``home``; Bolt routes on it."""
    id: str | None = None
    callback_id: str = ""
    private_metadata: str = ""
    hash: str | None = None
    state: _ViewState = _ViewState()
    team_id: str | None = None
    app_installed_team_id: str | None = None


class _Interaction(_Part):
    """What every interaction payload carries."""

    user: _User
    team: _Team | None = None
    enterprise: _Enterprise | None = None
    is_enterprise_install: bool = False
    api_app_id: Id | None = None
    trigger_id: str = ""

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def team_id(self) -> str | None:
        return self.team.id if self.team else None


class Click(_Interaction):
    """A ``block_actions`` payload: a button (or menu) clicked."""

    type: Literal["block_actions"] = "block_actions"
    actions: list[_Action] = Field(min_length=1)
    channel: _Channel | None = None
    container: _Container | None = None
    view: _View | None = None
    response_url: str | None = None

    @property
    def message_ts(self) -> str | None:
        return self.container.message_ts if self.container else None

    @property
    def action_id(self) -> str:
        return self.actions[0].action_id

    @property
    def value(self) -> str:
        return self.actions[0].value

    @property
    def channel_id(self) -> str | None:
        return self.channel.id if self.channel else None


class _ResponseUrl(_Part):
    response_url: str
    channel_id: str | None = None
    block_id: str | None = None
    action_id: str | None = None


class Submission(_Interaction):
    """A ``view_submission`` payload: a modal submitted."""

    type: Literal["view_submission"] = "view_submission"
    view: _View
    response_urls: list[_ResponseUrl] = Field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.view.private_metadata

    def text(self, block_id: str, action_id: str) -> str:
        element = self.view.state.values.get(block_id, {}).get(action_id, {})
        value = element.get("value")
        return value if isinstance(value, str) else ""


class ViewClosed(_Interaction):
    """A ``view_closed`` payload (a modal dismissed, when it asked to be told)."""

    type: Literal["view_closed"]
    view: _View


class _Event(_Part):
    type: Id
    user: str | None = None
    channel: str | None = None
    tab: str | None = None
    event_ts: str | None = None


class _Authorization(_Part):
    team_id: str | None = None
    enterprise_id: str | None = None
    user_id: str | None = None
    is_bot: bool = False
    is_enterprise_install: bool = False


class EventCallback(_Part):
    """An Events API delivery. ``event_id`` is the same on every retry of one event."""

    type: Literal["event_callback"]
    team_id: Id
    api_app_id: Id | None = None
    event_id: Id
    event_time: int | None = None
    event: _Event
    authorizations: list[_Authorization] = Field(default_factory=list, max_length=1)
    enterprise_id: str | None = None
    is_ext_shared_channel: bool = False


class UrlVerification(_Part):
    """The challenge Slack sends when the request URL is set in the app's settings."""

    type: Literal["url_verification"]
    challenge: str


class HomeOpened(_Part):
    """An ``app_home_opened`` event, as the listener reads it."""

    user: Id
    channel: str | None = None
    tab: str | None = None


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

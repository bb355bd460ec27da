"""How a listener reaches the bot's services: through Bolt's ``context``, never by importing
the composition root. ``bot.app`` puts one ``Services`` there for every request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from engine.config import PhoenixConfig
from engine.drills.desk import DrillDesk
from engine.incidents.desk import IncidentDesk
from engine.incidents.messages import MessageRef
from engine.incidents.proposals import Proposal
from engine.ports import Clock

if TYPE_CHECKING:
    from handlers.blocks.kit import Rendered

SERVICES_KEY = "phoenix_services"


class ProposalBoard(Protocol):
    """Shows a proposal in the incident channel: posts it the first time, then edits that
    message in place (coalesced and within Slack's budgets)."""

    def publish(self, proposal: Proposal) -> None: ...

    def show(
        self,
        key: str,
        role: str,
        rendered: Rendered,
        *,
        channel: str,
        known: MessageRef | None = None,
        parent: tuple[str, str] | None = None,
    ) -> None:
        """Post ``rendered`` as message ``(key, role)``, or edit the one it already is;
        ``known`` is that message when another replica posted it, ``parent`` the message
        whose thread it goes in."""
        ...


class Followup(Protocol):
    """Runs the rest of a listener after its ack, off the thread that answers Slack, so an
    ack never waits for a store write or a Web API call. A failure of ``work`` reaches the
    app's one error handler with the request's ``body`` (for who and where to tell)."""

    def __call__(self, body: Mapping[str, Any], work: Callable[[], None]) -> None: ...


def run_now(body: Mapping[str, Any], work: Callable[[], None]) -> None:
    """The followup without a thread: the work runs inside the listener (tests, scripts)."""
    work()


@dataclass(frozen=True)
class Services:
    desk: IncidentDesk
    board: ProposalBoard
    config: PhoenixConfig
    clock: Clock
    drills: DrillDesk | None = None
    followup: Followup = run_now

    @property
    def channel(self) -> str:
        return self.config.slack.channel


def services(context: Mapping[str, Any]) -> Services:
    found = context.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise LookupError("the bot's services are missing from the request context")
    return found

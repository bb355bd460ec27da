"""The incident desk: the incident services of one replica, built together over one runner,
Store and clock. Callers reach the job they need by its name:

- ``authority`` — who may do what (the table every surface reads);
- ``lifecycle`` — incidents opened, escalated and resolved from level decisions;
- ``register`` — proposals opened (for a level, or by hand) and read back as they stand;
- ``clicks`` — approve, decline, snooze; retry, skip or abort a paused run;
- ``requests`` — a plan asked for by hand, a silence, the end of the silences;
- ``break_glass`` — the decisions taken from the command line when Slack cannot be reached;
- ``silences`` — no automatic proposal for a while;
- ``messages`` — where the bot's messages are, for every replica to edit them.
"""

from __future__ import annotations

from datetime import timedelta

from engine.config import PhoenixConfig
from engine.incidents.audit import AuditTrail
from engine.incidents.authority import Authority, GroupDirectory
from engine.incidents.breakglass import BreakGlass
from engine.incidents.clicks import ProposalClicks
from engine.incidents.lifecycle import IncidentLifecycle
from engine.incidents.messages import MessageLocations
from engine.incidents.register import ProposalRegister
from engine.incidents.requests import PersonRequests
from engine.incidents.silences import Silences
from engine.ports import Clock
from engine.runner.runner import Runner


class IncidentDesk:
    def __init__(
        self,
        runner: Runner,
        config: PhoenixConfig,
        *,
        clock: Clock,
        groups: GroupDirectory,
        snooze: timedelta = timedelta(hours=1),
    ) -> None:
        self.runner = runner
        self.store = runner.store
        self.config = config
        self.clock = clock
        self.authority = Authority(config.slack, groups)
        self.trail = AuditTrail(self.store, clock)
        self.messages = MessageLocations(self.trail)
        self.silences = Silences(self.store, self.trail)
        self.register = ProposalRegister(runner, config, trail=self.trail)
        self.lifecycle = IncidentLifecycle(self.register, config, trail=self.trail)
        self.clicks = ProposalClicks(
            self.register,
            config,
            authority=self.authority,
            silences=self.silences,
            trail=self.trail,
            snooze=snooze,
        )
        self.requests = PersonRequests(
            self.register, self.silences, authority=self.authority, trail=self.trail
        )
        self.break_glass = BreakGlass(self.clicks, self.trail)

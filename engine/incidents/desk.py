"""The incident desk: the incident services of one replica, built together over one runner,
Store and clock. Callers reach the job they need by its name:

- ``lifecycle`` — incidents opened, escalated and resolved from level decisions;
- ``register`` — proposals opened (for a level, or by hand) and read back as they stand;
- ``clicks`` — approve, decline, snooze; retry, skip or abort a paused run;
- ``silences`` — no automatic proposal for a while;
- ``messages`` — where the bot's messages are, for every replica to edit them.
"""

from __future__ import annotations

from datetime import timedelta

from engine.config import PhoenixConfig
from engine.incidents.approvals import GroupDirectory
from engine.incidents.audit import AuditTrail
from engine.incidents.clicks import ProposalClicks
from engine.incidents.lifecycle import IncidentLifecycle
from engine.incidents.messages import MessageLocations
from engine.incidents.register import ProposalRegister
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
        trail = AuditTrail(self.store, clock)
        self.messages = MessageLocations(trail)
        self.silences = Silences(self.store, trail)
        self.register = ProposalRegister(runner, config, trail=trail)
        self.lifecycle = IncidentLifecycle(self.register, config, trail=trail)
        self.clicks = ProposalClicks(
            self.register, config, groups=groups, silences=self.silences, trail=trail, snooze=snooze
        )

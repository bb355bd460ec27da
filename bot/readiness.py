"""The readiness sweep on the leader, one per slot of ``readiness.interval``.

Each slot is claimed in the Store under the leader lease's token before it is swept, as an
evaluation slot is: a new leader skips a slot its predecessor stored, and a paused old leader
drops its sweep when it finds its lease gone. What the sweep found changed is told once in the
incident channel (``engine.health.readiness.notices`` decides when), and a DR proposal waiting
for its approvals is shown again with the new readiness, so approvers see it before they click.
The sweep never proposes, approves or starts anything.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.leader import Leadership
from engine.config import PhoenixConfig
from engine.health.readiness.sweep import ReadinessSweeper, SweepOutcome, summary
from engine.incidents.desk import IncidentDesk
from engine.incidents.register import WAITING
from engine.ports import Clock
from handlers import blocks
from handlers.context import ProposalBoard

log = logging.getLogger(__name__)

NOTICES = "readiness"
"""The key of the readiness notices in the incident channel."""


class ReadinessDuty:
    def __init__(
        self,
        sweeper: ReadinessSweeper,
        board: ProposalBoard,
        desk: IncidentDesk,
        config: PhoenixConfig,
        leadership: Leadership,
        clock: Clock,
    ) -> None:
        self.sweeper = sweeper
        self.board = board
        self.desk = desk
        self.store = desk.store
        self.config = config
        self.leadership = leadership
        self.clock = clock
        self.interval = config.readiness.interval.total_seconds()

    def slot(self) -> int:
        return int(self.clock.now().timestamp() // self.interval)

    def run(self) -> SweepOutcome | None:
        """Sweep the current slot if this replica leads and nobody swept it yet."""
        if not self.leadership.confirm():
            return None
        lease = self.leadership.lease
        if lease is None:
            return None
        slot = self.slot()
        claim = f"readiness:{self.config.environment}:{slot}:{lease.token}"
        if not self.store.claim(claim, timedelta(seconds=max(self.interval * 4, 60))):
            return None
        latest = self.store.latest_readiness()
        if latest is not None and int(latest.at.timestamp() // self.interval) == slot:
            return None
        outcome = self.sweeper.sweep(may_record=self.leadership.confirm)
        if outcome is None:
            log.warning("leadership lost during a readiness sweep: it is dropped")
            return None
        sweep = outcome.sweep
        log.info(
            "readiness swept: %s",
            summary(sweep),
            extra={"slot": slot, "seconds": sweep.seconds, "plan": sweep.plan},
        )
        if outcome.changes:
            self.board.show(
                NOTICES,
                f"notice:{slot}",
                blocks.readiness_notice(outcome.changes, sweep),
                channel=self.config.slack.channel,
            )
        if outcome.moved:
            self._show_waiting_proposals(sweep.plan)
        return outcome

    def _show_waiting_proposals(self, plan: str) -> None:
        for run in self.store.list_runs(states=WAITING, limit=20):
            if run.plan != plan:
                continue
            proposal = self.desk.register.proposal(run.run_id)
            if proposal is not None and proposal.stand.waiting:
                self.board.publish(proposal)

"""The sweeper: on every replica, resume runs nobody executes — their executor died (its lease
expired), or they were started from the command line, which hands a run over — and end
proposals whose approval time ran out; on the leader, show in Slack what was decided from the
command line. Taking a run's lease decides which replica resumes it, so several sweepers never
execute one run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.break_glass_feed import BreakGlassFeed
from engine.errors import RunBusy, RunError, StoreError
from engine.incidents.desk import IncidentDesk
from engine.incidents.proposals import Proposal
from engine.incidents.register import WAITING
from engine.records import Surface
from engine.runner.runner import Runner
from engine.runs import RunState, run_lease_name

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(
        self,
        runner: Runner,
        desk: IncidentDesk,
        publish: Callable[[Proposal], None],
        break_glass: BreakGlassFeed | None = None,
    ) -> None:
        self.runner = runner
        self.desk = desk
        self._publish = publish
        self.break_glass = break_glass
        self.resumed: list[str] = []

    def sweep(self) -> None:
        try:
            # The decisions first: the one that handed a run over reads in the thread before
            # the run's stages do.
            if self.break_glass is not None:
                self.break_glass.catch_up()
            self.resume_orphans()
            self.expire_proposals()
        except StoreError as exc:
            log.warning("sweep skipped: the store is unavailable (%s)", exc)

    def resume_orphans(self) -> list[str]:
        store = self.runner.store
        resumed = []
        for run in store.list_runs(states={RunState.RUNNING}, limit=1000):
            if store.get_lease(run_lease_name(run.run_id)) is not None:
                continue
            try:
                self.runner.start(run.run_id, actor=self.runner.owner, surface=Surface.SYSTEM)
            except RunBusy:
                continue  # another replica took it first
            except RunError as exc:
                log.warning("cannot resume run: %s", exc, extra={"run_id": run.run_id})
                continue
            log.info(
                "resumed a run nobody executed (its executor is gone, or the command line "
                "handed it over)",
                extra={"run_id": run.run_id},
            )
            resumed.append(run.run_id)
        self.resumed += resumed
        return resumed

    def expire_proposals(self) -> list[str]:
        expired = []
        now = self.desk.clock.now()
        for run in self.desk.store.list_runs(states=WAITING, limit=200):
            record = self.desk.register.record_of(run.run_id)
            if record is None or now < record.expires_at:
                continue
            if self.desk.clicks.expire(run.run_id):
                expired.append(run.run_id)
                proposal = self.desk.register.proposal(run.run_id)
                if proposal is not None:
                    self._publish(proposal)
        return expired

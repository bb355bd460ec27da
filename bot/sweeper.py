"""The sweeper: on every replica, resume runs whose executor died (their lease expired), and
end proposals whose approval time ran out. Taking a run's lease decides which replica
resumes it, so several sweepers never execute one run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable

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
        self, runner: Runner, desk: IncidentDesk, publish: Callable[[Proposal], None]
    ) -> None:
        self.runner = runner
        self.desk = desk
        self._publish = publish
        self.resumed: list[str] = []

    def sweep(self) -> None:
        try:
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
            log.info("resumed a run whose executor is gone", extra={"run_id": run.run_id})
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

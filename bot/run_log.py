"""A run's story in the log: each progress event as one line with its ``run_id``, ``stage``
and the run's ``incident_id`` and ``plan``, so that the logs of one run (its stages, retries,
pauses and end, on whichever replica ran them) are found by its id. A progress hub subscriber."""

from __future__ import annotations

import logging
from collections import OrderedDict

from engine.errors import StoreError
from engine.runs import EventKind, ProgressEvent, Run, RunState
from engine.store import Store

# Named for what its lines are, not for this module: README and the Loki queries name it.
log = logging.getLogger("bot.runs")

_KEEP = 64
"""Runs whose plan and incident are remembered, the latest first to stay."""
_WORDS = {
    EventKind.RUN_STARTED: "run started",
    EventKind.RUN_RESUMED: "run resumed",
    EventKind.STAGE_STARTED: "stage started",
    EventKind.STAGE_PROGRESS: "stage progress",
    EventKind.STAGE_SUCCEEDED: "stage succeeded",
    EventKind.STAGE_FAILED: "stage failed",
    EventKind.STAGE_SKIPPED: "stage skipped",
    EventKind.RUN_AWAITING_APPROVAL: "run awaits approval",
    EventKind.RUN_PAUSED: "run paused",
    EventKind.RUN_FINISHED: "run finished",
}


class RunLog:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._runs: OrderedDict[str, Run | None] = OrderedDict()

    def on_event(self, event: ProgressEvent) -> None:
        run = self._run(event.run_id)
        fields: dict[str, object] = {"run_id": event.run_id, "event_kind": event.kind.value}
        if run is not None:
            fields["plan"] = run.plan
            if run.incident_id:
                fields["incident_id"] = run.incident_id
        if event.stage is not None:
            fields["stage"] = event.stage
        if event.attempt is not None:
            fields["attempt"] = event.attempt
        if event.run_state is not None:
            fields["run_state"] = event.run_state.value
        text = _WORDS[event.kind] + (f": {event.message}" if event.message else "")
        log.log(_level(event), "%s", text, extra=fields)

    def _run(self, run_id: str) -> Run | None:
        if run_id not in self._runs:
            try:
                self._runs[run_id] = self._store.get_run(run_id)
            except StoreError:
                return None  # the line goes out without them; the next event asks again
            while len(self._runs) > _KEEP:
                self._runs.popitem(last=False)
        return self._runs[run_id]


def _level(event: ProgressEvent) -> int:
    if event.kind is EventKind.STAGE_PROGRESS:
        return logging.DEBUG
    if event.kind in (EventKind.STAGE_FAILED, EventKind.RUN_PAUSED):
        return logging.WARNING
    if event.kind is EventKind.RUN_FINISHED and event.run_state is not RunState.SUCCEEDED:
        return logging.WARNING
    return logging.INFO

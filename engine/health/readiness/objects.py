"""Objects: the DR container answers the bot, and what a failover's sync would still have to
copy is known without listing either side.

The backlog is read from continuous object sync's state of the pair (``engine.sync.continuous``,
``recovery.objects.continuous``): the objects its last pass could not copy, counted, and the
moment up to which everything the bucket held is on the DR side — its watermark, the same one
its own passes go by. So the age of the oldest object not yet copied is known at most, every
sweep, from one read of the Store. Without continuous sync nothing keeps that watermark: the
check then says the backlog is not measured, and the predicted RPO leaves objects out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from engine.duration import format_duration
from engine.health.readiness.check import (
    BACKLOG_BYTES,
    BACKLOG_OBJECTS,
    OLDEST_SECONDS,
    Finding,
    Look,
    not_ready,
    ready,
)
from engine.stages import Ports
from engine.stages.objects import ObjectSyncParams, location, size_text
from engine.stages.ports import OBJECT_STORES
from engine.sync_records import ObjectSyncState, object_pair


class SyncStates(Protocol):
    def get_object_sync(self, pair: str) -> ObjectSyncState | None: ...


def blob_backlog(
    params: ObjectSyncParams, states: SyncStates, rpo: timedelta, now: Callable[[], datetime]
) -> Look:
    pair = object_pair(params.source, params.destination)

    def look(ports: Ports) -> Finding:
        kind, name, prefix = location(params.destination)
        destination = ports.get(OBJECT_STORES).store(kind, name)
        next(iter(destination.list(prefix)), None)  # it answers the bot, or raises
        state = states.get_object_sync(pair)
        if state is None or state.covered_until is None:
            return ready(
                f"{destination.name} answers; what it lacks is not measured: no continuous "
                "sync pass of the pair has finished (recovery.objects.continuous)"
            )
        age = state.backlog_age(now()) or timedelta(0)
        pending = state.pending
        figures = {
            BACKLOG_OBJECTS: float(pending.objects),
            BACKLOG_BYTES: float(pending.bytes),
            OLDEST_SECONDS: age.total_seconds(),
        }
        said = (
            f"everything written before {state.oldest_uncopied():%H:%M:%S} UTC is on the DR "
            f"side, so the oldest object not copied is at most {format_duration(age)} old"
        )
        if pending.objects:
            said += f"; {pending.objects} object(s), {size_text(pending.bytes)} failed to copy"
        if state.held:
            said += f"; continuous sync holds off: {state.held}"
        elif state.last_pass is not None and state.last_pass.detail:
            said += f"; its last pass {state.last_pass.outcome.value}: {state.last_pass.detail}"
        if age > rpo:
            return not_ready(f"{said}: over the RPO of {format_duration(rpo)}", **figures)
        return ready(said, **figures)

    return look

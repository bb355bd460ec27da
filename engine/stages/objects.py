"""``object_sync``: a bucket (or a prefix of it) brought up to date in a container, or back.

A thin stage over ``engine.sync.incremental``: it lists both sides and copies only what is new or
changed, so a sync interrupted by a crash is resumed by running it again (finished objects
compare equal). What happens to objects the source no longer has is an explicit choice of
the plan: ``keep`` or ``mirror``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Final

from pydantic import Field, field_validator

from engine.cloud_ports import ObjectStore
from engine.retry import RetryPolicy
from engine.runs import StageRole
from engine.stages.common import Params
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import OBJECT_STORES, StoreKind
from engine.stages.registry import Stage, StageResult, stage_kind
from engine.sync.incremental import Deletion, SyncOptions, SyncProgress, sync

MAX_CONCURRENCY: Final = 256
"""Transfers one sync may run at a time; object store clients keep this many connections."""

_LOCATION = re.compile(
    r"^(?P<kind>s3|blob)://(?P<name>[a-z0-9][a-z0-9.-]{1,62})(?:/(?P<prefix>.*))?$"
)


def location(value: str) -> tuple[StoreKind, str, str]:
    """``s3://bucket/prefix`` -> ("s3", "bucket", "prefix"); ValueError if not of that shape."""
    match = _LOCATION.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not s3://BUCKET[/PREFIX] or blob://CONTAINER[/PREFIX]")
    kind: StoreKind = "s3" if match["kind"] == "s3" else "blob"
    return kind, match["name"], match["prefix"] or ""


class ObjectSyncParams(Params):
    source: str
    """``s3://bucket[/prefix]`` or ``blob://container[/prefix]``."""
    destination: str
    deletion: Deletion
    """``keep`` leaves what the source no longer has; ``mirror`` deletes it. No default: the
    plan says which."""
    max_delete: int | None = Field(default=None, ge=0)
    """Under ``mirror``, refuse to delete more than this many objects in one sync."""
    concurrency: int = Field(default=16, ge=1, le=MAX_CONCURRENCY)

    @field_validator("source", "destination")
    @classmethod
    def _shape(cls, value: str) -> str:
        location(value)
        return value


@stage_kind(
    "object_sync",
    params=ObjectSyncParams,
    timeout=timedelta(minutes=30),
    retry=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_attempts=4),
    drill=True,
    role=StageRole.CATCH_UP,
)
class ObjectSync(Stage[ObjectSyncParams]):
    """Copies what is new or changed from one object store to another (S3 <-> Blob)."""

    def run(self, ctx: StageContext, params: ObjectSyncParams) -> StageResult:
        source, destination = _stores(ctx, params)
        options = SyncOptions(
            prefix=location(params.source)[2],
            destination_prefix=location(params.destination)[2],
            deletion=params.deletion,
            max_delete=params.max_delete,
            concurrency=params.concurrency,
        )

        def report(progress: SyncProgress) -> None:
            ctx.progress(
                f"{progress.objects_done}/{progress.objects_total} objects, "
                f"{size_text(progress.bytes_done)} of {size_text(progress.bytes_total)}"
                + (f", {progress.deleted} deleted" if progress.deleted else ""),
                progress.fraction,
            )

        done = sync(source, destination, options, progress=report, check=ctx.check)
        return StageResult(
            done.summary(),
            {
                "objects_copied": done.copied,
                "bytes_copied": done.copied_bytes,
                "objects_unchanged": done.unchanged,
                "objects_deleted": done.deleted,
            },
        )

    def preflight(self, ctx: StageContext, params: ObjectSyncParams) -> str:
        source, destination = _stores(ctx, params)
        next(iter(source.list(location(params.source)[2])), None)
        next(iter(destination.list(location(params.destination)[2])), None)
        return f"listed {source.name} and {destination.name}"

    def describe(self, params: ObjectSyncParams, info: StageInfo) -> Sequence[str]:
        limit = f" (at most {params.max_delete})" if params.max_delete is not None else ""
        policy = (
            f"remove from the destination what the source no longer has{limit}"
            if params.deletion == "mirror"
            else "keep what the source no longer has"
        )
        return [
            f"list {params.source} and {params.destination}",
            f"copy every object new or changed in {params.source} to {params.destination} "
            f"({params.concurrency} at a time), verifying each by a read-back",
            policy,
        ]


def _stores(ctx: StageContext, params: ObjectSyncParams) -> tuple[ObjectStore, ObjectStore]:
    stores = ctx.ports.get(OBJECT_STORES)
    kind, name, _ = location(params.source)
    to_kind, to_name, _ = location(params.destination)
    return stores.store(kind, name), stores.store(to_kind, to_name)


def size_text(count: float) -> str:
    """A byte count as people read it: ``812 B``, ``3.4 MiB``."""
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"

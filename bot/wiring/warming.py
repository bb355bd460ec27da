"""Continuous object sync, wired from ``recovery.objects.continuous``: the pair's stores from the
stage ports, its change feed if one is configured, and the hold the runs in the Store impose."""

from __future__ import annotations

from collections.abc import Mapping

from bot.leader import Leadership
from bot.scheduler import ObjectWarming
from bot.wiring.cloud import CloudPorts
from engine.cloud_ports import StoreClock
from engine.config import PhoenixConfig
from engine.errors import StageFatal
from engine.plans.model import Plan
from engine.plans.warming import WarmedPair
from engine.ports import Clock
from engine.store import Store
from engine.sync.continuous import ContinuousOptions, ContinuousSync
from engine.sync.incremental import SyncOptions
from engine.sync_records import object_pair


def build_warming(
    config: PhoenixConfig,
    clouds: CloudPorts,
    store: Store,
    plans: Mapping[str, Plan],
    *,
    clock: Clock,
    owner: str,
    leadership: Leadership,
) -> ObjectWarming | None:
    """None unless ``recovery.objects.continuous`` is configured."""
    objects = config.recovery.objects
    if objects is None or objects.continuous is None:
        return None
    continuous = objects.continuous

    def make() -> ContinuousSync:
        source = clouds.store("s3", objects.bucket)
        if not isinstance(source, StoreClock):
            raise StageFatal(f"{source.name} cannot tell its own time: no watermark can be kept")
        feed = (
            clouds.change_feed(continuous.events_queue, objects.bucket)
            if continuous.events_queue
            else None
        )
        options = ContinuousOptions(
            SyncOptions(
                prefix=objects.prefix,
                destination_prefix=objects.prefix,
                deletion=objects.deletion,
                concurrency=continuous.concurrency,
            ),
            margin=continuous.margin,
            full_every=continuous.full_every,
        )
        return ContinuousSync(
            object_pair(objects.s3_location, objects.blob_location),
            source,
            source,
            clouds.store("blob", objects.container),
            store,
            clock=clock,
            owner=owner,
            options=options,
            feed=feed,
        )

    pair = WarmedPair(objects.bucket, objects.container)
    return ObjectWarming(make, lambda: pair.hold(store, plans), leadership, continuous.every)

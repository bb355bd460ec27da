"""What every Store adapter refuses before it writes continuous object sync's state."""

from __future__ import annotations

from engine.errors import LeaseLost
from engine.records import Lease
from engine.sync_records import ObjectSyncState, object_sync_lease_name


def check_object_sync_write(lease: Lease, state: ObjectSyncState, keep: int) -> None:
    """``keep`` must leave at least one pass, and the lease must be the pair's own (whether it
    is still held is the adapter's atomic check)."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    if lease.name != object_sync_lease_name(state.pair):
        raise LeaseLost(f"lease {lease.name} does not cover object sync of {state.pair}")

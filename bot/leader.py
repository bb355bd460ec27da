"""Leadership through the Store: the replica holding the ``leader`` lease runs the evaluation
tick and the drill duties; every replica answers Slack and sweeps orphaned runs.

``keep()`` is called every third of the ttl: it renews the lease while held, or tries to take
it. A store that cannot be reached ends leadership at once (a leader that cannot write must
not act on decisions), and so does a failed renewal. Before acting, a tick calls ``confirm()``
— the lease renewed just then — so a replica paused past its ttl can never act beside the new
leader.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from engine.errors import LeaseLost, StoreError
from engine.records import Lease
from engine.store import LeaseStore

log = logging.getLogger(__name__)

LEADER_LEASE = "leader"


class Leadership:
    def __init__(
        self,
        store: LeaseStore,
        owner: str,
        ttl: timedelta,
        *,
        on_change: Callable[[bool], None] | None = None,
        name: str = LEADER_LEASE,
    ) -> None:
        self._store = store
        self.owner = owner
        self.ttl = ttl
        self._name = name
        self._lease: Lease | None = None
        self._lock = threading.Lock()
        self.on_change = on_change

    @property
    def is_leader(self) -> bool:
        with self._lock:
            return self._lease is not None

    @property
    def lease(self) -> Lease | None:
        with self._lock:
            return self._lease

    def keep(self) -> bool:
        """Renew or take the lease; True while this replica leads."""
        with self._lock:
            before = self._lease
            try:
                if self._lease is not None:
                    try:
                        self._lease = self._store.renew_lease(self._lease, self.ttl)
                    except LeaseLost:
                        log.warning("leader lease lost: it expired or changed hands")
                        self._lease = None
                if self._lease is None:
                    self._lease = self._store.acquire_lease(self._name, self.owner, self.ttl)
            except StoreError as exc:
                if self._lease is not None:
                    log.warning("leadership given up: the store is unavailable (%s)", exc)
                self._lease = None
            after = self._lease
        changed = (before is None) != (after is None) or (
            before is not None and after is not None and before.token != after.token
        )
        if changed:
            if after is not None:
                log.info("leadership taken", extra={"token": after.token})
            if self.on_change is not None:
                self.on_change(after is not None)
        return after is not None

    def confirm(self) -> bool:
        """Renew now; True only if this replica still leads afterwards."""
        return self.is_leader and self.keep()

    def resign(self) -> None:
        with self._lock:
            lease, self._lease = self._lease, None
        if lease is not None:
            try:
                self._store.release_lease(lease)
            except StoreError:
                log.warning("could not release the leader lease; it will expire")
            if self.on_change is not None:
                self.on_change(False)

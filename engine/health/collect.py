"""One evaluation's worth of readings, gathered concurrently from every source.

A source that raises, overruns its deadline, or returns nothing for a signal yields an
``unknown`` reading with the reason: never ``ok``, and never an exception out of ``collect``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from engine.model import Reading, Vantage
from engine.ports import Clock, SignalSource


@dataclass(frozen=True)
class Collector:
    sources: Sequence[SignalSource]
    vantages: Mapping[str, Vantage]
    """Every configured signal and its vantage: readings come back in this order."""
    clock: Clock
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    """Makes the event loop of each collection (asyncio's own when None)."""
    sdk_threads: int = 32
    """Threads for the sources that wrap a blocking SDK; each call has its own timeout."""

    def collect(self) -> list[Reading]:
        """Synchronous facade: run one collection in a fresh event loop."""
        with asyncio.Runner(loop_factory=self.loop_factory) as runner:
            runner.get_loop().set_default_executor(
                ThreadPoolExecutor(self.sdk_threads, thread_name_prefix="phoenix-collect")
            )
            return runner.run(self.collect_async())

    async def collect_async(self) -> list[Reading]:
        results = await asyncio.gather(*(self._guarded(source) for source in self.sources))
        by_name: dict[str, Reading] = {}
        for readings in results:
            for reading in readings:
                if reading.signal in self.vantages and reading.signal not in by_name:
                    by_name[reading.signal] = reading
        now = self.clock.now()
        return [
            by_name.get(name) or Reading.unknown(name, vantage, "no reading was produced", now)
            for name, vantage in self.vantages.items()
        ]

    async def _guarded(self, source: SignalSource) -> Sequence[Reading]:
        try:
            return await asyncio.wait_for(source.collect(), timeout=source.deadline)
        except TimeoutError:
            reason = f"collector did not finish within {source.deadline:g}s"
        except Exception as exc:  # noqa: BLE001 - any fault of a source is an unknown reading
            reason = f"collector failed: {type(exc).__name__}: {exc}"
        now = self.clock.now()
        return [
            Reading.unknown(name, self.vantages.get(name, Vantage.INTERNAL), reason, now)
            for name in source.signals
        ]

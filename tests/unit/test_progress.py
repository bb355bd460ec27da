import threading
from datetime import UTC, datetime

from engine.runner.progress import ProgressHub
from engine.runs import EventKind, ProgressEvent

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_drain_waits_until_every_subscriber_has_been_handed_every_event() -> None:
    hub = ProgressHub()
    release = threading.Event()
    seen: list[int] = []

    def slow(event: ProgressEvent) -> None:
        release.wait(5)
        seen.append(event.seq)

    hub.subscribe(slow, name="slow")
    try:
        for seq in (1, 2, 3):
            hub.publish(ProgressEvent("r1", EventKind.STAGE_STARTED, AT, seq=seq))
        assert not hub.drain(0.05)  # the subscriber is still busy with the first event
        release.set()
        assert hub.drain(5)
        assert seen == [1, 2, 3]
    finally:
        release.set()
        hub.close()


def test_drain_survives_a_failing_subscriber() -> None:
    hub = ProgressHub()

    def broken(event: ProgressEvent) -> None:
        raise RuntimeError("boom")

    subscription = hub.subscribe(broken, name="broken")
    try:
        hub.publish(ProgressEvent("r1", EventKind.STAGE_STARTED, AT, seq=1))
        assert hub.drain(5)
        assert subscription.failures == 1
    finally:
        hub.close()

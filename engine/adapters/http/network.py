"""The one seam between the ``http`` signal's probes and whatever carries them.

A ``ProbeNetwork`` sends a request, already encoded as HTTP/1.1 bytes, to an ``Origin`` and
returns the status of the answer. Sockets (``wire.SocketNetwork``) carry probes in the bot;
the sandbox's simulated network and the tests' scripted ones take their place behind the
same method, as a transport does behind httpx's client. Pacing, the probe's timeout, the
watch on the event loop's lateness and the verdict are therefore the same code whichever
network carries a probe.

What a network owes its caller:

- ``exchange`` never times a probe: the caller's timer cancels it, and it then lets go of
  whatever it holds (sockets included) before the cancellation goes on.
- ``TimeoutError``: the far end did not answer in time by the network's own account (the
  kernel gave up connecting; the sandbox's cut link).
- ``OSError``: no connection could be made, or it broke, as the socket call raised it; its
  errno tells a local lack of sockets (the target was not probed) from the far end's failure.
- ``ProbeFailed``: what came back is not an HTTP answer, or the network has a reason of its
  own why the target cannot be reached.
- Anything else is a fault of ours: the target is reported unprobed, never failing.

A network lives for one collection (``aclose`` ends it): what it learns, such as resolved
host names, is never older than one evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a probe connects: host, port, and whether over TLS."""

    host: str
    port: int
    tls: bool
    literal: bool
    """``host`` is an IP address: nothing to resolve."""


class ProbeFailed(Exception):
    """The target failed the probe for the reason given, in words fit for a reading's
    detail."""


class ProbeNetwork(Protocol):
    async def exchange(self, origin: Origin, request: bytes) -> int:
        """Send ``request`` to ``origin`` and return the status of its answer, once the
        status line and headers are in; the body is not read."""
        ...

    async def aclose(self) -> None: ...

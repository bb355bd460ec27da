"""The sandbox's network as the observer (the bot) sees it.

phoenix.yaml names hosts as production would (``service-a.prod.aws``, ``app.public``); the
observer's network (the probes' and the ``verify`` stage's) resolves them here:

- ``<service>.prod.aws``: the reference service in AWS, over the observer's link to AWS. A
  regional outage or a partition cuts that link: the probe times out, as it would.
- ``app.public``: the public endpoint, behind Traffic Manager. While AWS serves, it is
  Service A over the same link; once traffic is on Azure, it is the DR side, which answers
  when the services run on AKS.
- ``n8n.sandbox``: the workflow the webhook stage notifies. Its notifications go through the
  sim world; over the network it answers what n8n answers about an active workflow's webhook
  (a CORS preflight 204, anything else 404: not registered for that method).

Everything else is refused: the sandbox never probes a real host.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from engine.adapters.http.network import Origin, ProbeFailed, ProbeNetwork
from engine.adapters.http.wire import SocketNetwork
from engine.adapters.sim import AWS, AZURE, SimWorld
from sandbox.services import ReferenceServices

AWS_SUFFIX = ".prod.aws"
PUBLIC_HOST = "app.public"
WEBHOOK_HOST = "n8n.sandbox"
LOOPBACK = "127.0.0.1"


class ObserverNetwork:
    def __init__(self, world: SimWorld, services: ReferenceServices) -> None:
        self.world = world
        self.services = services

    def aws_link_cut(self) -> str | None:
        """Why the observer cannot reach AWS right now, or ``None``."""
        faults = self.world.faults
        if faults.aws_outage:
            return f"AWS {self.world.topology.region} does not answer (regional outage)"
        if faults.partition:
            return "no route from the observer to AWS (network partition)"
        return None

    def public_answers(self) -> bool:
        """Whether the public endpoint answers from the internet (Route 53's checkers): a
        partition of the observer does not matter to them."""
        side = self.world.serving_side()
        if side == AWS:
            return not self.world.faults.aws_outage and self.services.a.healthy()
        if side == AZURE:
            return self.world.azure_serves()
        return False

    def probe_network(self) -> ProbeNetwork:
        """The network of one evaluation's HTTP probes."""
        return ObserverProbes(self, SocketNetwork(None))

    def sync_transport(self) -> httpx.BaseTransport:
        """The same network for blocking clients (the ``verify`` stage's checks)."""
        return ObserverSyncTransport(self, httpx.HTTPTransport())

    def destination(self, host: str) -> DrSideAnswer | int:
        """Where a request to ``host`` goes: an answer of the DR side, or the loopback port
        of the reference service that serves it. Raises ``Unreachable`` as an unreachable
        host would fail."""
        if host == PUBLIC_HOST and self.world.serving_side() == AZURE:
            serves = self.world.azure_serves()
            body = {"service": "dr-side", "status": "ok" if serves else "no pods ready on AKS"}
            return DrSideAnswer(200 if serves else 503, json.dumps(body).encode())
        if host == PUBLIC_HOST:
            service = self.services.a
        elif host.endswith(AWS_SUFFIX):
            try:
                service = self.services.by_name(host.removesuffix(AWS_SUFFIX))
            except KeyError:
                raise Unreachable(f"{host}: name not known") from None
        else:
            raise Unreachable(f"{host}: not part of the sandbox")
        cut = self.aws_link_cut()
        if cut is not None:
            raise Unreachable(f"connect timeout: {cut}", timed_out=True)
        return service.port

    def route(self, request: httpx.Request) -> httpx.Response | httpx.Request:
        """``destination`` for an httpx request: the DR side's answer, or the request
        forwarded to the reference service on loopback. Raises ``httpx.ConnectError`` /
        ``ConnectTimeout`` as an unreachable host would."""
        if request.url.host == WEBHOOK_HOST:
            return _webhook_answer(request)
        try:
            where = self.destination(request.url.host)
        except Unreachable as exc:
            error = httpx.ConnectTimeout if exc.timed_out else httpx.ConnectError
            raise error(str(exc), request=request) from None
        if isinstance(where, DrSideAnswer):
            return httpx.Response(where.status, content=where.body, request=request)
        return httpx.Request(
            request.method,
            request.url.copy_with(scheme="http", host=LOOPBACK, port=where),
            headers=request.headers,
            extensions=request.extensions,
        )


def _webhook_answer(request: httpx.Request) -> httpx.Response:
    """What n8n answers for an active workflow's POST webhook (n8n-io/n8n,
    packages/cli/src/webhooks/WebhookRequestHandler.ts)."""
    if request.method == "OPTIONS":
        return httpx.Response(
            204, headers={"Access-Control-Allow-Methods": "OPTIONS, POST"}, request=request
        )
    message = f"The requested webhook {request.method} {request.url.path} is not registered."
    return httpx.Response(404, json={"code": 404, "message": message}, request=request)


@dataclass(frozen=True)
class DrSideAnswer:
    """What the public endpoint answers while traffic is on Azure."""

    status: int
    body: bytes


class Unreachable(Exception):
    """The observer cannot reach a host: refused by name, or (``timed_out``) its packets go
    unanswered, as over a cut link."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


class ObserverProbes:
    """The probes' ``ProbeNetwork``: the observer's routes, then sockets to the reference
    services on loopback (the request keeps the Host it was written for)."""

    def __init__(self, network: ObserverNetwork, sockets: SocketNetwork) -> None:
        self._network = network
        self._sockets = sockets

    async def exchange(self, origin: Origin, request: bytes) -> int:
        try:
            where = self._network.destination(origin.host)
        except Unreachable as exc:
            if exc.timed_out:
                raise TimeoutError(str(exc)) from None
            raise ProbeFailed(str(exc)) from None
        if isinstance(where, DrSideAnswer):
            return where.status
        loopback = Origin(LOOPBACK, where, tls=False, literal=True)
        return await self._sockets.exchange(loopback, request)

    async def aclose(self) -> None:
        await self._sockets.aclose()


class ObserverSyncTransport(httpx.BaseTransport):
    def __init__(self, network: ObserverNetwork, inner: httpx.BaseTransport) -> None:
        self._network = network
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        routed = self._network.route(request)
        if isinstance(routed, httpx.Response):
            return routed
        return self._inner.handle_request(routed)

    def close(self) -> None:
        self._inner.close()

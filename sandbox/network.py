"""The sandbox's network as the observer (the bot) sees it.

phoenix.yaml names hosts as production would (``service-a.prod.aws``, ``app.public``); the
observer's HTTP transport resolves them here:

- ``<service>.prod.aws``: the reference service in AWS, over the observer's link to AWS. A
  regional outage or a partition cuts that link: the probe times out, as it would.
- ``app.public``: the public endpoint, behind Traffic Manager. While AWS serves, it is
  Service A over the same link; once traffic is on Azure, it is the DR side, which answers
  when the services run on AKS.

Everything else is refused: the sandbox never probes a real host.
"""

from __future__ import annotations

import json

import httpx

from engine.adapters.http.wire import ProbeTransport
from engine.adapters.sim import AWS, AZURE, SimWorld
from sandbox.services import ReferenceServices

AWS_SUFFIX = ".prod.aws"
PUBLIC_HOST = "app.public"


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

    def transport(self) -> httpx.AsyncBaseTransport:
        """The probes' transport (the evaluation's HTTP signals)."""
        return ObserverTransport(self, ProbeTransport(httpx.create_ssl_context()))

    def sync_transport(self) -> httpx.BaseTransport:
        """The same network for blocking clients (the ``verify`` stage's checks)."""
        return ObserverSyncTransport(self, httpx.HTTPTransport())

    def route(self, request: httpx.Request) -> httpx.Response | httpx.Request:
        """Where ``request`` goes: an answer of the DR side, or the request forwarded to the
        reference service on loopback. Raises ``httpx.ConnectError`` / ``ConnectTimeout`` as
        an unreachable host would."""
        host = request.url.host
        if host == PUBLIC_HOST and self.world.serving_side() == AZURE:
            serves = self.world.azure_serves()
            body = {"service": "dr-side", "status": "ok" if serves else "no pods ready on AKS"}
            return httpx.Response(
                200 if serves else 503, content=json.dumps(body).encode(), request=request
            )
        if host == PUBLIC_HOST:
            service = self.services.a
        elif host.endswith(AWS_SUFFIX):
            try:
                service = self.services.by_name(host.removesuffix(AWS_SUFFIX))
            except KeyError:
                raise httpx.ConnectError(f"{host}: name not known", request=request) from None
        else:
            raise httpx.ConnectError(f"{host}: not part of the sandbox", request=request)
        cut = self.aws_link_cut()
        if cut is not None:
            raise httpx.ConnectTimeout(f"connect timeout: {cut}", request=request)
        return httpx.Request(
            request.method,
            request.url.copy_with(scheme="http", host="127.0.0.1", port=service.port),
            headers=request.headers,
            extensions=request.extensions,
        )


class ObserverTransport(httpx.AsyncBaseTransport):
    def __init__(self, network: ObserverNetwork, inner: httpx.AsyncBaseTransport) -> None:
        self._network = network
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        routed = self._network.route(request)
        if isinstance(routed, httpx.Response):
            return routed
        return await self._inner.handle_async_request(routed)

    async def aclose(self) -> None:
        await self._inner.aclose()


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

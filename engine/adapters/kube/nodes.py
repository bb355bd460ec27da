"""The ``eks_nodes`` signal kind: the share of a cluster's nodes whose Ready condition is
not "True" (a node without a Ready condition is not ready), judged by thresholds.

The ``kubernetes`` client is synchronous: the list call runs in a worker thread with a total
request timeout and no retries. Each source builds its own client ``Configuration``
(``engine.adapters.kube.access``: ``api_url``, a kubeconfig and context, the in-cluster
service account, or an EKS cluster by name) and never touches the client's process-wide
default configuration.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import urllib3
from kubernetes.client import ApiClient, Configuration, CoreV1Api
from kubernetes.client.exceptions import ApiException

from engine.adapters.aws.clients import AwsTarget
from engine.adapters.kube.access import client_configuration
from engine.adapters.single_signal import SingleSignalSource
from engine.config import EksNodesSignal, status_from_thresholds
from engine.errors import BadAnswer, ProbeTimeout, SignalError, StageError
from engine.model import Reading
from engine.ports import Clock
from engine.text import clip


class KubeNodeReadiness(SingleSignalSource[EksNodesSignal]):
    """The ``SignalSource`` of one ``eks_nodes`` signal."""

    def __init__(self, signal: EksNodesSignal, clock: Clock, *, region: str | None = None) -> None:
        super().__init__(signal, clock)
        self._region = region
        """Where an ``eks`` cluster is looked up when its access names no region."""
        self._configuration: Configuration | None = None
        self._lock = threading.Lock()

    async def collect(self) -> list[Reading]:
        signal = self._signal
        try:
            nodes = await self._in_thread(
                self._list_nodes, f"the Kubernetes API did not answer within {self._timeout:g}s"
            )
        except SignalError as exc:
            return self._unknown(str(exc))
        now = self._clock.now()
        if not nodes:
            reason = (
                f"no node matches label selector {signal.label_selector!r}"
                if signal.label_selector
                else "the cluster reports no nodes"
            )
            return [Reading.unknown(signal.name, signal.vantage, reason, now)]
        not_ready = [name for name, ready in nodes if not ready]
        value = len(not_ready) / len(nodes)
        status = status_from_thresholds(value, signal.thresholds)
        detail = f"{len(not_ready)} of {len(nodes)} nodes not ready"
        if not_ready:
            detail += ": " + ", ".join(not_ready)
        return [Reading(signal.name, status, value, clip(detail), signal.vantage, now)]

    def _list_nodes(self) -> list[tuple[str, bool]]:
        configuration = self._client_configuration()
        with ApiClient(configuration) as api:
            try:
                # Raw JSON, not the client's models: a big NodeList is slow to deserialise and
                # only the conditions matter. The typing does not know this form.
                nodes_api: Any = CoreV1Api(api)
                response = nodes_api.list_node(
                    label_selector=self._signal.label_selector,
                    _request_timeout=self._timeout,
                    _preload_content=False,
                )
                try:
                    raw = response.data
                finally:
                    response.release_conn()
            except ApiException as exc:
                raise _api_error(exc) from exc
            except urllib3.exceptions.HTTPError as exc:
                raise _transport_error(exc, self._timeout) from exc
            except StageError as exc:  # an EKS token that could not be minted
                raise SignalError(clip(str(exc), 200)) from exc
            finally:
                # One short connection per evaluation: nothing is left open between ticks.
                api.rest_client.pool_manager.clear()
        return parse_node_list(raw)

    def _client_configuration(self) -> Configuration:
        """This source's own client configuration, made once; a failure is retried next time."""
        with self._lock:
            if self._configuration is None:
                self._configuration = self._load_configuration()
            return self._configuration

    def _load_configuration(self) -> Configuration:
        try:
            return client_configuration(
                self._signal.cluster, aws=AwsTarget(region=self._region), now=self._clock.now
            )
        except StageError as exc:
            raise SignalError(clip(str(exc), 200)) from exc


def parse_node_list(raw: bytes) -> list[tuple[str, bool]]:
    """(node name, ready) for each node of a NodeList answer."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadAnswer("the Kubernetes API did not answer with JSON") from None
    if not isinstance(data, dict) or data.get("kind") != "NodeList":
        raise BadAnswer("the Kubernetes API did not answer with a NodeList")
    items = data.get("items")
    if items is None:
        items = []  # an empty list may come as null
    if not isinstance(items, list):
        raise BadAnswer("the NodeList's items are not a list")
    nodes: list[tuple[str, bool]] = []
    for item in items:
        if not isinstance(item, dict):
            raise BadAnswer("the NodeList holds something that is not a node")
        metadata = item.get("metadata") or {}
        status = item.get("status") or {}
        conditions = (status.get("conditions") or []) if isinstance(status, dict) else []
        name = str(metadata.get("name", "?")) if isinstance(metadata, dict) else "?"
        ready = any(
            isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
            for c in conditions
        )
        nodes.append((name, ready))
    return nodes


def _api_error(exc: ApiException) -> SignalError:
    if not exc.status:
        # The client reports TLS failures as status 0, with the reason.
        return SignalError(clip(f"cannot talk to the Kubernetes API: {exc.reason}", 200))
    return SignalError(f"the Kubernetes API answered HTTP {exc.status} {exc.reason or ''}".strip())


def _transport_error(exc: urllib3.exceptions.HTTPError, timeout: float) -> SignalError:
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return SignalError("the Kubernetes API's host name does not resolve")
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        refused = isinstance(exc.__cause__ or exc.__context__, ConnectionRefusedError)
        why = "connection refused" if refused or "refused" in str(exc) else str(exc)
        return SignalError(clip(f"cannot reach the Kubernetes API: {why}", 200))
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return ProbeTimeout(f"the Kubernetes API did not answer within {timeout:g}s")
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return BadAnswer("the Kubernetes API broke the connection or did not answer HTTP")
    return SignalError(clip(f"Kubernetes API call failed: {exc}", 200))

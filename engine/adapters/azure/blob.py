"""The ``ObjectStore`` of one Azure Blob Storage container (azure-storage-blob).

Reads stream in ``read_chunk`` pieces (the client never fetches more in one request). Writes
buffer at most one block: a body that fits in one block is one Put Blob, a larger one is
staged block by block and committed with its metadata; every request carries a Content-MD5
the service checks. The committed blob's Content-MD5 is set too, so listings carry it.
Server-side copy from a URL (Put Blob From URL) is used only where the caller says the
service can reach the source: it is a capability of real Azure, not of Azurite.

A body that fits in one block is sent as one Put Blob request through the container client's
own pipeline (its credential, retry and transport policies), built here rather than by
``BlobClient.upload_blob``: the SDK's per-call machinery (a client per blob, request
serialisers, a second MD5 of the body, decoding the answer) cost more CPU than the request
itself for small objects, and that CPU holds the GIL the other transfers need. The pipeline
is reached through the client's private ``_client._send_request``, as the listing reaches it
(``blob_listing``); without it the SDK's ``upload_blob`` is used.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest
from azure.storage.blob import BlobBlock, BlobServiceClient, ContainerClient, ContentSettings

from engine.adapters.azure.blob_listing import list_blobs, sdk_info, storage_error
from engine.adapters.azure.errors import azure_error
from engine.cloud_ports import ObjectInfo

MiB: Final = 1024 * 1024
PUT_FROM_URL_LIMIT: Final = 5000 * MiB
"""Put Blob From URL takes at most this much; a larger object is copied asynchronously."""
_PROXY_VARIABLES: Final = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)
_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
_WRITE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
_DELETE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"


def blob_transport(
    pool_size: int, *, connect_timeout: float = 5.0, read_timeout: float = 60.0
) -> RequestsTransport:
    """An HTTP transport whose connection pool holds ``pool_size`` connections, so concurrent
    transfers reuse connections instead of opening one per request."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=4, pool_maxsize=pool_size, max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    verify: str | bool = True
    if not any(os.environ.get(name) for name in _PROXY_VARIABLES):
        # With no proxy configured, stop requests from re-reading the whole environment on
        # every request (a fifth of a small upload's CPU), keeping the CA bundle it would
        # have taken from it.
        session.trust_env = False
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return RequestsTransport(
        session=session,
        session_owner=True,
        connection_verify=verify,
        connection_timeout=connect_timeout,
        read_timeout=read_timeout,
    )


class BlobContainer:
    """One container as an ``ObjectStore``. Build it with ``from_account`` (production:
    ``DefaultAzureCredential``) or ``from_connection_string``."""

    def __init__(
        self,
        container: ContainerClient,
        *,
        block_size: int = 4 * MiB,
        server_side_copy: bool = False,
    ) -> None:
        self._container = container
        self._block_size = block_size
        self._server_side_copy = server_side_copy
        self._send: Callable[..., Any] | None = getattr(
            getattr(container, "_client", None), "_send_request", None
        )
        base = urlsplit(container.url)
        self._blob_url = (base.scheme, base.netloc, base.path.rstrip("/"), base.query)

    @classmethod
    def from_account(
        cls,
        account_url: str,
        container: str,
        *,
        credential: Any = None,
        read_chunk: int = MiB,
        block_size: int = 4 * MiB,
        pool_size: int = 32,
        retry_total: int = 3,
        server_side_copy: bool = False,
    ) -> BlobContainer:
        """``credential`` defaults to ``DefaultAzureCredential`` (managed identity, workload
        identity, environment, Azure CLI ...)."""
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        service = BlobServiceClient(
            account_url,
            credential=credential,
            **_client_options(read_chunk, pool_size, retry_total),
        )
        return cls(
            service.get_container_client(container),
            block_size=block_size,
            server_side_copy=server_side_copy,
        )

    @classmethod
    def from_connection_string(
        cls,
        connection_string: str,
        container: str,
        *,
        read_chunk: int = MiB,
        block_size: int = 4 * MiB,
        pool_size: int = 32,
        retry_total: int = 3,
        server_side_copy: bool = False,
    ) -> BlobContainer:
        service = BlobServiceClient.from_connection_string(
            connection_string, **_client_options(read_chunk, pool_size, retry_total)
        )
        return cls(
            service.get_container_client(container),
            block_size=block_size,
            server_side_copy=server_side_copy,
        )

    @property
    def name(self) -> str:
        return f"azure://{self._container.account_name}/{self._container.container_name}"

    @property
    def lists_metadata(self) -> bool:
        return True

    @property
    def copies_from_url(self) -> bool:
        return self._server_side_copy

    @property
    def block_size(self) -> int:
        return self._block_size

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        try:
            yield from list_blobs(self._container, prefix)
        except Exception as exc:
            raise azure_error(exc, resource=self._where(prefix + "*"), action=_READ) from exc

    def head(self, key: str) -> ObjectInfo | None:
        try:
            properties = self._container.get_blob_client(key).get_blob_properties()
        except ResourceNotFoundError:
            return None
        except Exception as exc:
            raise azure_error(exc, resource=self._where(key), action=_READ) from exc
        return sdk_info(properties)

    def open(self, key: str) -> _BlobReader:
        try:
            download = self._container.get_blob_client(key).download_blob(max_concurrency=1)
        except Exception as exc:
            raise azure_error(exc, resource=self._where(key), action=_READ) from exc
        return _BlobReader(sdk_info(download.properties), download, self._where(key))

    def writer(self, key: str, *, content_type: str | None = None) -> _BlobWriter:
        return _BlobWriter(self, key, content_type)

    def delete(self, key: str) -> None:
        try:
            self._container.get_blob_client(key).delete_blob(delete_snapshots="include")
        except ResourceNotFoundError:
            return
        except Exception as exc:
            raise azure_error(exc, resource=self._where(key), action=_DELETE) from exc

    def signed_url(self, key: str, expires: timedelta) -> str | None:
        return None  # a SAS needs the account key or a user delegation key: not taken here

    def copy_from_url(
        self, key: str, url: str, *, size: int, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        blob = self._container.get_blob_client(key)
        try:
            if size <= PUT_FROM_URL_LIMIT:
                blob.upload_blob_from_url(url, overwrite=True, metadata=dict(metadata))
            else:
                blob.start_copy_from_url(url, metadata=dict(metadata), requires_sync=False)
                # Asynchronous copy: the blob reports its progress until it is done.
                self._wait_for_copy(key)
            properties = blob.get_blob_properties()
        except Exception as exc:
            raise azure_error(exc, resource=self._where(key), action=_WRITE) from exc
        return sdk_info(properties)

    def close(self) -> None:
        """Close the client's pooled connections."""
        self._container.close()

    def client(self, key: str) -> Any:
        return self._container.get_blob_client(key)

    def put_blob(
        self, key: str, body: bytes, md5: bytes, metadata: Mapping[str, str], content_type: str
    ) -> Any | None:
        """Put Blob of a whole body through the client's pipeline, the body's MD5 checked by
        the service and kept as the blob's Content-MD5; ``None`` where the client offers no
        pipeline (then use ``BlobClient.upload_blob``). Returns the answer's headers."""
        if self._send is None:
            return None
        scheme, netloc, path, query = self._blob_url
        url = urlunsplit((scheme, netloc, f"{path}/{quote(key, safe='~/')}", query, ""))
        digest = base64.b64encode(md5).decode()
        headers = {
            "x-ms-version": self._container.api_version,
            "x-ms-blob-type": "BlockBlob",
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(body)),
            "Content-MD5": digest,
            "x-ms-blob-content-md5": digest,
            "x-ms-blob-content-type": content_type,
        }
        headers.update({f"x-ms-meta-{name}": value for name, value in metadata.items()})
        # Streamed, so that the pipeline does not try to decode the (empty) answer.
        response = self._send(HttpRequest("PUT", url, headers=headers, content=body), stream=True)
        try:
            response.read()
        finally:
            response.close()
        if response.status_code != 201:
            raise storage_error(response)
        return response.headers

    def _wait_for_copy(self, key: str) -> None:
        import time

        blob = self._container.get_blob_client(key)
        while True:
            copy = blob.get_blob_properties().copy
            if copy.status != "pending":
                if copy.status != "success":
                    raise azure_error(
                        RuntimeError(f"copy {copy.status}"),
                        resource=self._where(key),
                        action=_WRITE,
                    )
                return
            time.sleep(2)

    def _where(self, key: str) -> str:
        return f"{self.name}/{key}"


class _BlobReader:
    def __init__(self, info: ObjectInfo, download: Any, where: str) -> None:
        self._info = info
        self._download = download
        self._where = where

    @property
    def info(self) -> ObjectInfo:
        return self._info

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._download.chunks()
        except Exception as exc:
            raise azure_error(exc, resource=self._where, action=_READ) from exc

    def close(self) -> None:
        pass  # the downloader holds no connection between chunk requests


class _BlobWriter:
    def __init__(self, store: BlobContainer, key: str, content_type: str | None) -> None:
        self._store = store
        self._key = key
        self._blob: Any = None
        self._where = f"{store.name}/{key}"
        self._content_type = content_type
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._blocks: list[BlobBlock] = []

    def write(self, chunk: bytes) -> None:
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        self._size += len(chunk)
        self._md5.update(chunk)
        if self._pending_size >= self._store.block_size:
            self._stage()

    def commit(self, metadata: Mapping[str, str]) -> ObjectInfo:
        settings = ContentSettings(
            content_type=self._content_type or "application/octet-stream",
            content_md5=bytearray(self._md5.digest()),
        )
        try:
            if not self._blocks:
                body = b"".join(self._pending)
                self._pending.clear()
                answer = self._put(body, metadata, settings)
            else:
                if self._pending:
                    self._stage()
                answer = self._sdk_blob().commit_block_list(
                    self._blocks, metadata=dict(metadata), content_settings=settings
                )
        except Exception as exc:
            raise azure_error(exc, resource=self._where, action=_WRITE) from exc
        return ObjectInfo(
            key=self._key,
            size=self._size,
            etag=str(answer["etag"]).strip('"'),
            last_modified=answer.get("last_modified"),
            metadata=dict(metadata),
            md5=self._md5.hexdigest(),
            content_type=settings.content_type,
        )

    def _put(self, body: bytes, metadata: Mapping[str, str], settings: ContentSettings) -> Any:
        content_type = settings.content_type or "application/octet-stream"
        headers = self._store.put_blob(self._key, body, self._md5.digest(), metadata, content_type)
        if headers is not None:
            modified = headers.get("Last-Modified")
            return {
                "etag": headers.get("ETag", ""),
                "last_modified": parsedate_to_datetime(modified) if modified else None,
            }
        return self._sdk_blob().upload_blob(
            body,
            length=len(body),
            overwrite=True,
            metadata=dict(metadata),
            content_settings=settings,
            validate_content=True,
        )

    def _sdk_blob(self) -> Any:
        if self._blob is None:
            self._blob = self._store.client(self._key)
        return self._blob

    def abort(self) -> None:
        # Staged blocks that are never committed are dropped by the service after a week.
        self._pending.clear()
        self._blocks.clear()

    def _stage(self) -> None:
        body = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        block_id = f"{len(self._blocks):08d}"
        try:
            self._sdk_blob().stage_block(block_id, body, length=len(body), validate_content=True)
        except Exception as exc:
            raise azure_error(exc, resource=self._where, action=_WRITE) from exc
        self._blocks.append(BlobBlock(block_id=block_id))


def _client_options(read_chunk: int, pool_size: int, retry_total: int) -> dict[str, Any]:
    return {
        "max_single_get_size": read_chunk,
        "max_chunk_get_size": read_chunk,
        "transport": blob_transport(pool_size),
        "retry_total": retry_total,
    }

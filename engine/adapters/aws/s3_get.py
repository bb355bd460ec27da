"""GetObject as one signed request, without botocore's per-call machinery.

For a small object botocore's per-call work (event hooks, endpoint rules, parameter checks,
parsing the answer's headers) costs more CPU than the request itself, and that CPU holds the
GIL that the other transfers need. This sends the same request with botocore's own parts:
- the object URL botocore resolves for the bucket and the region it signs for, learned once
  from a GetObject botocore builds and signs but is stopped from sending;
- botocore's SigV4 signer for S3, with the client's credentials (refreshed as they expire);
- the client's HTTP session: its connection pool, proxies, CA bundle and timeouts;
- botocore's parser for an error answer, raised as the same ``ClientError``;
- botocore's standard retry rules (transient errors, throttling) and backoff.

Where the client does not sign plain SigV4 for ``s3`` (anonymous access, SigV4a, S3 Express,
Object Lambda ...), or its parts are not where this expects them, it is not used and the
client's ``get_object`` is. Two of those parts are private to botocore (the client's
``_request_signer._credentials`` and ``_endpoint.http_session``): pyproject pins the botocore
releases they were tested with, and ``tests/cloud/test_private_hooks.py`` checks them.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, HTTPClientError
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.retries.standard import ExponentialBackoff, RetryContext, StandardRetryConditions

_PROBE: Final = "probe"
_ALGORITHM: Final = "AWS4-HMAC-SHA256"
_META: Final = "x-amz-meta-"


class DirectGet:
    """GetObject of one bucket's objects as plain signed requests."""

    def __init__(
        self, client: Any, base_url: tuple[str, str, str], region: str, max_attempts: int
    ) -> None:
        self._credentials = client._request_signer._credentials
        self._http = client._endpoint.http_session
        self._operation = client.meta.service_model.operation_model("GetObject")
        self._parser = create_parser("rest-xml")
        self._scheme, self._netloc, self._path = base_url
        self._region = region
        self._retry = StandardRetryConditions(max_attempts=max_attempts)
        self._backoff = ExponentialBackoff()

    @classmethod
    def for_bucket(cls, client: Any, bucket: str, max_attempts: int) -> DirectGet | None:
        """``None`` where the client's GetObject is not a plain SigV4 ``s3`` request.

        What botocore would send is learned by letting it build and sign one GetObject and
        stopping it just before it is sent."""
        try:
            if client._request_signer._credentials is None:
                return None  # unsigned access
            if client._endpoint.http_session is None:
                return None
            seen = _built_request(client, bucket)
        except AttributeError:
            return None
        if seen is None:
            return None
        url, authorization = seen
        parts = urlsplit(url)
        algorithm, _, fields = authorization.partition(" ")
        credential = fields.split(",")[0].strip()
        scope = credential.removeprefix("Credential=").split("/")
        if (
            algorithm != _ALGORITHM
            or not credential.startswith("Credential=")
            or len(scope) != 5
            or scope[3] != "s3"
            or scope[4] != "aws4_request"
            or parts.query
            or not parts.path.endswith("/" + _PROBE)
        ):
            return None
        base = (parts.scheme, parts.netloc, parts.path[: -len(_PROBE)])
        return cls(client, base, scope[2], max_attempts)

    def get(self, key: str) -> dict[str, Any]:
        """The answer as ``get_object`` gives it: ``Body`` (streamed), ``ContentLength``,
        ``ETag``, ``LastModified``, ``ContentType``, ``Metadata``."""
        attempt = 0
        while True:
            attempt += 1
            response: Any = None
            parsed: dict[str, Any] | None = None
            error: Exception | None = None
            try:
                response = self._http.send(self._signed(key).prepare())
                if response.status_code == 200:
                    return _answer(response)
                parsed = self._error(response)
            except HTTPClientError as exc:  # connection refused, reset, timed out ...
                error = exc
            context = RetryContext(
                attempt_number=attempt,
                operation_model=self._operation,
                parsed_response=parsed,
                http_response=response,
                caught_exception=error,
            )
            if not self._retry.is_retryable(context):
                if error is not None:
                    raise error
                assert parsed is not None
                raise ClientError(parsed, "GetObject")  # type: ignore[arg-type]
            time.sleep(self._backoff.delay_amount(context))

    def _signed(self, key: str) -> AWSRequest:
        url = urlunsplit((self._scheme, self._netloc, self._path + quote(key, safe="/~"), "", ""))
        request = AWSRequest("GET", url, stream_output=True)
        signer = S3SigV4Auth(self._credentials.get_frozen_credentials(), "s3", self._region)
        signer.add_auth(request)
        return request

    def _error(self, response: Any) -> dict[str, Any]:
        body = response.content
        parsed: dict[str, Any] = self._parser.parse(
            {"status_code": response.status_code, "headers": response.headers, "body": body},
            self._operation.output_shape,
        )
        return parsed


class _Built(Exception):
    """Raised from ``before-send`` to stop botocore once it has built and signed a request."""

    def __init__(self, url: str, authorization: str) -> None:
        super().__init__(url)
        self.url = url
        self.authorization = authorization


def _stop_before_send(request: Any, **kwargs: Any) -> None:
    authorization = request.headers.get("Authorization") or ""
    if isinstance(authorization, bytes):
        authorization = authorization.decode()
    raise _Built(request.url, authorization)


def _built_request(client: Any, bucket: str, key: str = _PROBE) -> tuple[str, str] | None:
    """The URL and Authorization header of the GetObject botocore would send (nothing is)."""
    events = client.meta.events
    events.register_first("before-send.s3.GetObject", _stop_before_send)
    try:
        client.get_object(Bucket=bucket, Key=key)
    except _Built as built:
        return built.url, built.authorization
    except Exception:  # noqa: BLE001 - whatever else stops it, the client's own path is used
        return None
    finally:
        events.unregister("before-send.s3.GetObject", _stop_before_send)
    return None


def _answer(response: Any) -> dict[str, Any]:
    headers = response.headers
    size = int(headers["content-length"])
    modified = headers.get("last-modified")
    return {
        "Body": StreamingBody(response.raw, size),
        "ContentLength": size,
        "ETag": headers.get("etag", ""),
        "LastModified": parsedate_to_datetime(modified) if modified else None,
        "ContentType": headers.get("content-type"),
        "Metadata": {
            name[len(_META) :]: value
            for name, value in headers.items()
            if name.lower().startswith(_META)
        },
    }

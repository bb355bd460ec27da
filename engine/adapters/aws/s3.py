"""The ``ObjectStore`` of one S3 bucket (boto3).

Reads stream the body in ``read_chunk`` pieces, each object fetched by one signed request
without botocore's per-call machinery where the client allows it (see ``s3_get``).
Writes buffer at most one part: a body that fits in one part is one PutObject; a larger one is
a multipart upload whose metadata is set by a copy of the object onto itself once the body
(and so its hash) is known. Every upload carries a Content-MD5 that S3 checks, so a body
damaged on the way is refused.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping, MutableSequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.exceptions import ClientError

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.errors import aws_error, error_code, http_status
from engine.adapters.aws.s3_get import DirectGet
from engine.cloud_ports import ObjectInfo
from engine.errors import CloudRejected, CloudUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MiB: Final = 1024 * 1024
MIN_PART: Final = 5 * MiB
COPY_LIMIT: Final = 5 * 1024 * MiB
"""CopyObject's limit: above it, a multipart object keeps the metadata it was created with."""

_ACTIONS: Final = {
    "list": "s3:ListBucket",
    "head": "s3:GetObject",
    "get": "s3:GetObject",
    "put": "s3:PutObject",
    "delete": "s3:DeleteObject",
    "abort": "s3:AbortMultipartUpload",
}


class S3Bucket:
    """One bucket as an ``ObjectStore``."""

    def __init__(
        self,
        bucket: str,
        target: AwsTarget | None = None,
        *,
        read_chunk: int = MiB,
        part_size: int = 8 * MiB,
        list_concurrency: int = 1,
        session: boto3.session.Session | None = None,
    ) -> None:
        if part_size < MIN_PART:
            raise ValueError(f"an S3 part is at least {MIN_PART} bytes")
        self._bucket = bucket
        self._read_chunk = read_chunk
        self._part_size = part_size
        self._list_concurrency = list_concurrency
        target = target or AwsTarget()
        self._s3: S3Client = aws_client("s3", target, session)
        self._direct: DirectGet | None = DirectGet.for_bucket(self._s3, bucket, target.max_attempts)

    @property
    def name(self) -> str:
        return f"s3://{self._bucket}"

    @property
    def lists_metadata(self) -> bool:
        return False

    @property
    def copies_from_url(self) -> bool:
        return False

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects under ``prefix``. With ``list_concurrency`` above 1, the "directories" one
        level below ``prefix`` are listed concurrently (as rclone does): a listing is a chain
        of dependent pages, so this is the way to overlap them. Not in key order."""
        try:
            if self._list_concurrency <= 1:
                yield from self._pages(prefix, None)
                return
            below: list[str] = []
            yield from self._pages(prefix, "/", below)
            if not below:
                return
            with ThreadPoolExecutor(min(self._list_concurrency, len(below))) as pool:
                for listed in pool.map(lambda p: list(self._pages(p, None)), below):
                    yield from listed
        except Exception as exc:
            where = self._where(prefix + "*")
            raise aws_error(exc, resource=where, action=_ACTIONS["list"]) from exc

    def _pages(
        self, prefix: str, delimiter: str | None, below: MutableSequence[str] | None = None
    ) -> Iterator[ObjectInfo]:
        options: dict[str, Any] = {"Delimiter": delimiter} if delimiter else {}
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix, PaginationConfig={"PageSize": 1000}, **options
        )
        for page in pages:
            if below is not None:
                below.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    key=item["Key"],
                    size=item["Size"],
                    etag=_etag(item["ETag"]),
                    last_modified=item["LastModified"],
                )

    def store_time(self) -> datetime:
        """S3's clock, from the ``Date`` of a HeadBucket answer (to the second, rounded down:
        an earlier reading, never a later one)."""
        try:
            answer = self._s3.head_bucket(Bucket=self._bucket)
        except Exception as exc:
            raise aws_error(exc, resource=self.name, action=_ACTIONS["list"]) from exc
        stamp = answer["ResponseMetadata"].get("HTTPHeaders", {}).get("date") or ""
        try:
            when = parsedate_to_datetime(stamp)
        except (TypeError, ValueError) as exc:
            raise CloudUnavailable(f"{self.name}: S3 answered without a readable Date") from exc
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    def head(self, key: str) -> ObjectInfo | None:
        try:
            answer = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if http_status(exc) == 404 and error_code(exc) in ("404", "NotFound", "NoSuchKey"):
                return None
            raise aws_error(exc, resource=self._where(key), action=_ACTIONS["head"]) from exc
        except Exception as exc:
            raise aws_error(exc, resource=self._where(key), action=_ACTIONS["head"]) from exc
        return _info(key, answer)

    def open(self, key: str) -> _S3Reader:
        try:
            if self._direct is not None:
                answer: Any = self._direct.get(key)
            else:
                answer = self._s3.get_object(Bucket=self._bucket, Key=key)
        except Exception as exc:
            raise aws_error(exc, resource=self._where(key), action=_ACTIONS["get"]) from exc
        return _S3Reader(_info(key, answer), answer["Body"], self._read_chunk, self._where(key))

    def writer(self, key: str, *, content_type: str | None = None) -> _S3Writer:
        return _S3Writer(self, key, content_type)

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=key)
        except Exception as exc:
            raise aws_error(exc, resource=self._where(key), action=_ACTIONS["delete"]) from exc

    def signed_url(self, key: str, expires: timedelta) -> str | None:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key},
            ExpiresIn=int(expires.total_seconds()),
        )
        return url

    def close(self) -> None:
        """Close the client's pooled connections."""
        self._s3.close()

    def copy_from_url(
        self, key: str, url: str, *, size: int, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        raise CloudRejected(f"{self.name} cannot copy from a URL; stream the object instead")

    # -- used by the writer

    @property
    def part_size(self) -> int:
        return self._part_size

    @property
    def client(self) -> S3Client:
        return self._s3

    @property
    def bucket(self) -> str:
        return self._bucket

    def _where(self, key: str) -> str:
        return f"s3://{self._bucket}/{key}"


class _S3Reader:
    def __init__(self, info: ObjectInfo, body: Any, chunk: int, where: str) -> None:
        self._info = info
        self._body = body
        self._chunk = chunk
        self._where = where
        self._read_all = False

    @property
    def info(self) -> ObjectInfo:
        return self._info

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._body.iter_chunks(self._chunk)
        except Exception as exc:
            raise aws_error(exc, resource=self._where, action=_ACTIONS["get"]) from exc
        self._read_all = True

    def close(self) -> None:
        # A body read to its end has already given its connection back to the pool; closing
        # it would close that connection and cost a new one for the next object.
        if not self._read_all:
            self._body.close()


class _S3Writer:
    def __init__(self, bucket: S3Bucket, key: str, content_type: str | None) -> None:
        self._store = bucket
        self._s3 = bucket.client
        self._key = key
        self._extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []

    def write(self, chunk: bytes) -> None:
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        self._size += len(chunk)
        self._md5.update(chunk)
        if self._pending_size >= self._store.part_size:
            self._flush_part()

    def commit(self, metadata: Mapping[str, str]) -> ObjectInfo:
        where = f"{self._store.name}/{self._key}"
        try:
            if self._upload_id is None:
                body = b"".join(self._pending)
                answer: Any = self._s3.put_object(
                    Bucket=self._store.bucket,
                    Key=self._key,
                    Body=body,
                    ContentMD5=base64.b64encode(self._md5.digest()).decode(),
                    Metadata=dict(metadata),
                    **self._extra,
                )
                self._pending.clear()
                etag = _etag(answer["ETag"])
            else:
                etag = self._complete(metadata)
        except Exception as exc:
            self.abort()
            raise aws_error(exc, resource=where, action=_ACTIONS["put"]) from exc
        return ObjectInfo(
            self._key,
            self._size,
            etag,
            metadata=dict(metadata),
            md5=self._md5.hexdigest(),
            content_type=self._extra.get("ContentType"),
        )

    def abort(self) -> None:
        upload, self._upload_id = self._upload_id, None
        self._pending.clear()
        if upload is None:
            return
        try:
            self._s3.abort_multipart_upload(
                Bucket=self._store.bucket, Key=self._key, UploadId=upload
            )
        except Exception as exc:
            where = f"{self._store.name}/{self._key}"
            raise aws_error(exc, resource=where, action=_ACTIONS["abort"]) from exc

    def _flush_part(self) -> None:
        body = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        try:
            if self._upload_id is None:
                created = self._s3.create_multipart_upload(
                    Bucket=self._store.bucket, Key=self._key, **self._extra
                )
                self._upload_id = created["UploadId"]
            number = len(self._parts) + 1
            answer = self._s3.upload_part(
                Bucket=self._store.bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=body,
                ContentMD5=_b64md5(body),
            )
        except Exception as exc:
            self.abort()
            where = f"{self._store.name}/{self._key}"
            raise aws_error(exc, resource=where, action=_ACTIONS["put"]) from exc
        self._parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def _complete(self, metadata: Mapping[str, str]) -> str:
        if self._pending:
            self._flush_part()
        assert self._upload_id is not None
        done = self._s3.complete_multipart_upload(
            Bucket=self._store.bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )
        self._upload_id = None
        etag = _etag(done["ETag"])
        if self._size > COPY_LIMIT:
            return etag
        # The hash is known only now: set the metadata by copying the object onto itself,
        # on condition that it is still the object just written.
        copied = self._s3.copy_object(
            Bucket=self._store.bucket,
            Key=self._key,
            CopySource={"Bucket": self._store.bucket, "Key": self._key},
            CopySourceIfMatch=f'"{etag}"',
            MetadataDirective="REPLACE",
            Metadata=dict(metadata),
            **self._extra,
        )
        return _etag(copied["CopyObjectResult"].get("ETag", etag))


def _info(key: str, answer: Any) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=int(answer["ContentLength"]),
        etag=_etag(answer["ETag"]),
        last_modified=answer.get("LastModified"),
        metadata=dict(answer.get("Metadata", {})),
        content_type=answer.get("ContentType"),
    )


def _etag(raw: str) -> str:
    return raw.strip('"')


def _b64md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()

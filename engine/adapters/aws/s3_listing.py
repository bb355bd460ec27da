"""A faster reading of S3 ``ListObjectsV2`` pages for botocore.

botocore turns each listed object into a dict through its generic, model-driven XML parser:
about 40 µs an object, so a listing of a million keys costs most of a minute of CPU, all of
it holding the GIL that concurrent transfers need. This parser reads the same page with
ElementTree in one pass and builds the very same dict; anything it does not know (a field a
newer S3 adds) sends the page back to botocore's own parser. Every other answer is parsed
by botocore as usual.

S3 may answer 200 with an ``<Error>`` body, or a body cut short; botocore finds those by
parsing every 200 body once more before its parser runs (``_handle_200_error``), which for a
listing page costs as much again as reading it. For ListObjectsV2 the page is read once here
instead: an ``<Error>`` root or a body that does not parse is turned into the same status 500
that botocore's check gives it, so retries and errors behave as before.

``_handle_200_error`` is private to botocore: pyproject pins the botocore releases it was
tested with, a test checks it is still there, and where it is not, botocore's own check is
left in place (correct, at the cost of that second parse).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, Final

import botocore.handlers
from botocore.parsers import ResponseParserFactory, RestXMLParser

_NS: Final = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_TOP_TEXT: Final = frozenset(
    {
        "Name",
        "Prefix",
        "Delimiter",
        "ContinuationToken",
        "NextContinuationToken",
        "StartAfter",
        "EncodingType",
    }
)
_TOP_INT: Final = frozenset({"MaxKeys", "KeyCount"})
_OBJECT_TEXT: Final = frozenset({"Key", "ETag", "StorageClass", "ChecksumType"})
_LISTING: Final = "ListObjectsV2"


class _ErrorBody(Exception):
    """A 200 answer whose body is an S3 error, or not a whole XML document."""


class _Unknown(Exception):
    """The page holds something this parser does not know: botocore parses it instead."""


class FastListingParser(RestXMLParser):
    def __init__(self, timestamp_parser: Callable[[str], Any], **options: Any) -> None:
        super().__init__(timestamp_parser=timestamp_parser, **options)
        self._timestamp = timestamp_parser

    def parse(self, response: Any, shape: Any) -> Any:
        if (
            shape is None
            or shape.name != "ListObjectsV2Output"
            or response["status_code"] >= 300
            or not response.get("body")
        ):
            return super().parse(response, shape)
        try:
            payload = _page(response["body"], self._timestamp)
        except _ErrorBody:
            # What botocore's own check (skipped for listings) does: a 500, so the error is
            # parsed, raised and retried like any other.
            response["status_code"] = 500
            return super().parse(response, shape)
        except (_Unknown, ValueError):
            return super().parse(response, shape)
        headers = response["headers"]
        metadata: dict[str, Any] = {}
        if "x-amzn-requestid" in headers:
            metadata["RequestId"] = headers["x-amzn-requestid"]
        elif "x-amz-request-id" in headers:
            metadata["RequestId"] = headers["x-amz-request-id"]
            metadata["HostId"] = headers.get("x-amz-id-2", "")
        metadata["HTTPStatusCode"] = response["status_code"]
        metadata["HTTPHeaders"] = dict(headers)
        parsed: dict[str, Any] = {"ResponseMetadata": metadata}
        for name, member in shape.members.items():
            where = member.serialization
            if where.get("location") == "header" and where.get("name") in headers:
                parsed[name] = headers[where["name"]]
        parsed.update(payload)
        return parsed


class FastListingParserFactory(ResponseParserFactory):
    """botocore's parser factory, with ``FastListingParser`` for the rest-xml protocol."""

    def __init__(self, timestamp_parser: Callable[[str], Any]) -> None:
        super().__init__()
        self._timestamp = timestamp_parser
        self.set_parser_defaults(timestamp_parser=timestamp_parser)

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "rest-xml":
            return FastListingParser(self._timestamp)
        return super().create_parser(protocol_name)


def replace_200_error_check(emitter: Any) -> bool:
    """Swap botocore's check of 200 bodies for one that skips ListObjectsV2, in the same place
    in the handler order. Use together with ``FastListingParserFactory``, which checks the
    listing pages while it reads them. False, with nothing changed, where botocore has no
    such check by that name."""
    check = botocore_200_error_check()
    if check is None:
        return False

    def check_200_error_except_listing(
        operation_model: Any, response_dict: Any, **kwargs: Any
    ) -> Any:
        if operation_model.name == _LISTING:
            return None
        return check(operation_model, response_dict, **kwargs)

    emitter.unregister("before-parse.s3.*", check)
    emitter.register_first("before-parse.s3.*", check_200_error_except_listing)
    return True


def botocore_200_error_check() -> Callable[..., Any] | None:
    """botocore's private handler that turns a 200 answer holding an S3 error into a 500."""
    check: Callable[..., Any] | None = getattr(botocore.handlers, "_handle_200_error", None)
    return check


def _page(body: bytes, timestamp: Callable[[str], Any]) -> dict[str, Any]:
    try:
        root = ET.fromstring(body)  # noqa: S314 - S3's own answer, parsed as botocore would
    except ET.ParseError as exc:
        raise _ErrorBody(str(exc)) from exc
    if _local(root.tag) == "Error":
        raise _ErrorBody(root.tag)
    if _local(root.tag) != "ListBucketResult":
        raise _Unknown(root.tag)
    parsed: dict[str, Any] = {}
    contents: list[dict[str, Any]] = []
    prefixes: list[dict[str, str]] = []
    for node in root:
        tag = _local(node.tag)
        if tag == "Contents":
            contents.append(_object(node, timestamp))
        elif tag == "CommonPrefixes":
            prefixes.append(_common_prefix(node))
        elif tag in _TOP_TEXT:
            parsed[tag] = node.text or ""
        elif tag in _TOP_INT:
            parsed[tag] = int(node.text or 0)
        elif tag == "IsTruncated":
            parsed[tag] = _bool(node.text)
        else:
            raise _Unknown(tag)
    if contents:
        parsed["Contents"] = contents
    if prefixes:
        parsed["CommonPrefixes"] = prefixes
    return parsed


def _object(node: ET.Element, timestamp: Callable[[str], Any]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for child in node:
        tag = _local(child.tag)
        text = child.text or ""
        if tag in _OBJECT_TEXT:
            item[tag] = text
        elif tag == "Size":
            item[tag] = int(text)
        elif tag == "LastModified":
            item[tag] = timestamp(text)
        elif tag == "ChecksumAlgorithm":
            item.setdefault(tag, []).append(text)
        elif tag == "Owner":
            item[tag] = {_known(g, ("ID", "DisplayName")): g.text or "" for g in child}
        elif tag == "RestoreStatus":
            item[tag] = _restore(child, timestamp)
        else:
            raise _Unknown(tag)
    return item


def _common_prefix(node: ET.Element) -> dict[str, str]:
    return {_known(child, ("Prefix",)): child.text or "" for child in node}


def _restore(node: ET.Element, timestamp: Callable[[str], Any]) -> dict[str, Any]:
    status: dict[str, Any] = {}
    for child in node:
        tag = _known(child, ("IsRestoreInProgress", "RestoreExpiryDate"))
        status[tag] = (
            _bool(child.text) if tag == "IsRestoreInProgress" else timestamp(child.text or "")
        )
    return status


def _known(node: ET.Element, tags: tuple[str, ...]) -> str:
    tag = _local(node.tag)
    if tag not in tags:
        raise _Unknown(tag)
    return tag


def _local(tag: str) -> str:
    return tag[len(_NS) :] if tag.startswith(_NS) else tag.rsplit("}", 1)[-1]


def _bool(text: str | None) -> bool:
    return (text or "").strip().lower() == "true"

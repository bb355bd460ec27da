"""AWS error answers in each API's own wire format, for the fault proxy."""

from __future__ import annotations

import json
from typing import Any

from tests.support.http_fake import Fault


def query_error(status: int, code: str, **where: Any) -> Fault:
    """RDS, CloudWatch (query protocol): an ``ErrorResponse`` XML document."""
    body = (
        '<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error>"
        "<RequestId>req-1</RequestId></ErrorResponse>"
    )
    return Fault(status, body.encode(), (("Content-Type", "text/xml"),), **where)


def route53_error(status: int, code: str, **where: Any) -> Fault:
    body = (
        '<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error>"
        "<RequestId>req-1</RequestId></ErrorResponse>"
    )
    return Fault(status, body.encode(), (("Content-Type", "text/xml"),), **where)


def s3_error(status: int, code: str, **where: Any) -> Fault:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>injected</Message></Error>"
    )
    return Fault(status, body.encode(), (("Content-Type", "application/xml"),), **where)


def rest_json_error(status: int, code: str, **where: Any) -> Fault:
    """EKS (rest-json): the error type in a header, a message in the body."""
    body = json.dumps({"message": "injected"}).encode()
    headers = (
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", f"{code}:http://internal"),
    )
    return Fault(status, body, headers, **where)


def json_error(status: int, code: str, message: str = "injected", **where: Any) -> Fault:
    """Secrets Manager (json 1.1): the error type and message in a JSON body."""
    body = json.dumps({"__type": code, "message": message}).encode()
    return Fault(status, body, (("Content-Type", "application/x-amz-json-1.1"),), **where)

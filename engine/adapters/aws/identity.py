"""The bot's AWS identity (``Identity``): STS ``GetCallerIdentity``, the one AWS call that
needs no permission, only valid credentials ("No permissions are required to perform this
operation", the STS API reference), so it proves the credential chain works and nothing more.
"""

from __future__ import annotations

from typing import Any

import boto3

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.errors import aws_error


class AwsIdentity:
    def __init__(
        self, target: AwsTarget | None = None, *, session: boto3.session.Session | None = None
    ) -> None:
        self._sts: Any = aws_client("sts", target or AwsTarget(), session)

    @property
    def service(self) -> str:
        return "AWS"

    def whoami(self) -> str:
        try:
            answer = self._sts.get_caller_identity()
        except Exception as exc:
            raise aws_error(
                exc, resource="the bot's AWS identity", action="sts:GetCallerIdentity"
            ) from exc
        return str(answer.get("Arn") or answer.get("UserId") or "an unnamed principal")

    def close(self) -> None:
        self._sts.close()

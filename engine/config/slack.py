"""phoenix.yaml: the Slack channel and who may approve."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from engine.duration import Duration
from engine.fields import Model


class Approvers(Model):
    users: list[Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")]] = Field(default_factory=list)
    groups: list[Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,}$")]] = Field(default_factory=list)


class Slack(Model):
    channel: str = Field(default="#incidents", min_length=1)
    approvers: Approvers = Approvers()
    approval_ttl: Duration = timedelta(minutes=30)

"""phoenix.yaml: the Slack channel, who may approve, and who may ask for a plan or a silence.

Who may do what with these lists is one table, ``engine.incidents.authority.RULES``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from engine.duration import Duration
from engine.fields import Model


class Approvers(Model):
    """People named by Slack user id, and Slack user groups (their members count too)."""

    users: list[Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")]] = Field(default_factory=list)
    groups: list[Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,}$")]] = Field(default_factory=list)


class Responders(Approvers):
    """Who may ask for a failover or failback and silence or unsilence automatic proposals,
    besides the approvers (who may do all of that too)."""


class Slack(Model):
    channel: str = Field(default="#incidents", min_length=1)
    approvers: Approvers = Approvers()
    responders: Responders = Responders()
    approval_ttl: Duration = timedelta(minutes=30)

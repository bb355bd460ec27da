"""The primitive field types of phoenix.yaml: names, URLs, secret references, and Azure SQL
service objectives.

Kept apart from ``engine.config.document`` so that stage params (``engine.stages``), which the
configuration model itself validates, can use them without an import cycle.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from engine.sql_objectives import ServiceObjective, service_objective

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_ENV_REF = re.compile(r"^env:[A-Za-z_][A-Za-z0-9_]*$")
_AWS_SM_REF = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$")
_KEY_VAULT_REF = re.compile(
    r"^https://[a-z0-9-]{3,24}\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)"
    r"/secrets/[A-Za-z0-9-]{1,127}(/[0-9a-f]{32})?$"
)


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            "must be lower-case letters, digits, '-', '_' or '.', starting with a letter or digit"
        )
    return value


SecretKind = Literal["env", "secretsmanager", "keyvault"]
"""Where a ``SecretRef`` is held: the process environment, AWS Secrets Manager, Key Vault."""


def secret_kind(reference: str) -> SecretKind | None:
    """The kind of a secret reference; ``None`` when it is not a reference at all."""
    if _ENV_REF.match(reference):
        return "env"
    if _AWS_SM_REF.match(reference):
        return "secretsmanager"
    if _KEY_VAULT_REF.match(reference):
        return "keyvault"
    return None


def _check_secret_ref(value: str) -> str:
    if secret_kind(value) is not None:
        return value
    # The value may be a pasted secret: never echo it back.
    raise ValueError(
        "must reference a secret, not contain one: env:VAR_NAME, an AWS Secrets Manager ARN "
        "or a Key Vault secret URI (https://NAME.vault.azure.net/secrets/NAME)"
    )


def _check_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("must be an http:// or https:// URL")
    if "@" in value.split("/", 3)[2]:
        # The credentials would be a secret written in the file: never echo them.
        raise ValueError(
            "must not carry credentials (user:password@): a probe sends a bearer_token "
            "secret reference instead"
        )
    return value


Name = Annotated[str, AfterValidator(_check_name)]
SecretRef = Annotated[str, AfterValidator(_check_secret_ref)]
"""A reference to a secret: ``env:VAR``, an AWS Secrets Manager ARN, or a Key Vault secret URI."""
Url = Annotated[str, AfterValidator(_check_url)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SqlObjectiveInput(Model):
    """An Azure SQL service objective as people write it: ``GP_Gen5_4`` (or ``{name:
    GP_Gen5_4}``), ``{name: S0, tier: Standard, capacity: 10}``, or Azure's own sku shape
    ``{name: GP_Gen5, capacity: 4}``. ``tier`` and ``capacity``, where given, must agree."""

    name: str = Field(min_length=1)
    tier: str | None = None
    capacity: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _known(self) -> SqlObjectiveInput:
        self.objective  # noqa: B018 - raises ValueError for a name Azure does not know
        return self

    @property
    def objective(self) -> ServiceObjective:
        return service_objective(self.name, self.tier, self.capacity)

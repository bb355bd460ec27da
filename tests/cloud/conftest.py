"""The cloud adapters' tests run against moto, Azurite (see the root conftest) and the local
fakes of this folder; every one of them gets the dummy AWS environment."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _aws_env(aws_env: None) -> None:
    """Every test here may reach moto."""

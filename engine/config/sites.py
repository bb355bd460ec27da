"""phoenix.yaml: where production runs and where the DR site is."""

from __future__ import annotations

from typing import Literal

from engine.fields import Model


class PrimarySite(Model):
    cloud: Literal["aws"] = "aws"
    region: str = "us-east-1"


class DrSite(Model):
    cloud: Literal["azure"] = "azure"
    region: str = "eastus2"

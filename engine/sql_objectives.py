"""Azure SQL service objectives: the names people write, and the shape Azure reports them in.

A database's size is one service objective: ``S0`` or ``P2`` (DTU), ``GP_Gen5_4`` or
``HS_Gen5_2`` (vCore: edition, hardware family, vCores). Azure does not echo that name back
as the database's ``sku``: it splits it into its own shape. ``GP_Gen5_4`` reads back as
``sku.name = "GP_Gen5"``, ``tier = "GeneralPurpose"``, ``family = "Gen5"``, ``capacity = 4``;
``S0`` as ``sku.name = "Standard"``, ``tier = "Standard"``, ``capacity = 10`` (its DTUs). The
name itself comes back as ``currentServiceObjectiveName`` (and, while a change is pending,
``requestedServiceObjectiveName``), which is what "already at the target" is decided on.

Sources: the ``Databases`` examples of Azure/azure-rest-api-specs
(specification/sql/resource-manager/Microsoft.Sql/stable/2021-11-01/examples/
CreateDatabaseMin.json: S0 -> Standard/Standard/10; CreateVCoreDatabaseBySkuNameCapacity.json:
BC_Gen4 capacity 2 -> BC_Gen4_2; PatchVCoreDatabase.json: a PATCH naming ``BC_Gen4_4`` as
``sku.name``), the Azure SDK for Python's recorded session
(sdk/sql/azure-mgmt-sql/tests/recordings/test_cli_mgmt_sql_database.test_database.yaml:
S1 -> Standard/Standard/20), and the DTU resource limits of single databases
(learn.microsoft.com/azure/azure-sql/database/resource-limits-dtu-single-databases).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_DTU_TIERS: Final = {"B": "Basic", "S": "Standard", "P": "Premium"}
_DTUS: Final = {
    "Basic": 5,
    "S0": 10,
    "S1": 20,
    "S2": 50,
    "S3": 100,
    "S4": 200,
    "S6": 400,
    "S7": 800,
    "S9": 1600,
    "S12": 3000,
    "P1": 125,
    "P2": 250,
    "P4": 500,
    "P6": 1000,
    "P11": 1750,
    "P15": 4000,
}
_EDITIONS: Final = {
    "GP": "GeneralPurpose",
    "GP_S": "GeneralPurpose",  # serverless
    "BC": "BusinessCritical",
    "HS": "Hyperscale",
    "HS_S": "Hyperscale",  # serverless
}
# Hardware families as Azure spells them (the case of a written name is forgiven).
_FAMILIES: Final = {f.casefold(): f for f in ("Gen4", "Gen5", "Fsv2", "DC", "M", "8IM", "8IH")}
_VCORE: Final = re.compile(
    r"^(?P<edition>GP_S|HS_S|GP|BC|HS)_(?P<family>[A-Za-z0-9]+)_(?P<capacity>[1-9][0-9]*)$",
    re.IGNORECASE,
)
EXAMPLES: Final = "S0, P2, Basic, GP_Gen5_4, BC_Gen5_8, HS_Gen5_2, GP_S_Gen5_2"


@dataclass(frozen=True)
class ServiceObjective:
    """One service objective, with the ``sku`` Azure reports for it."""

    name: str
    """``S0``, ``GP_Gen5_4`` ...: what ``currentServiceObjectiveName`` reads."""
    sku_name: str
    """Azure's ``sku.name``: ``Standard``, ``GP_Gen5`` ..."""
    tier: str
    """``Basic``, ``Standard``, ``Premium``, ``GeneralPurpose``, ``BusinessCritical``,
    ``Hyperscale``."""
    capacity: int
    """DTUs, or vCores."""
    family: str | None = None
    """The hardware family of a vCore objective (``Gen5``); ``None`` for DTU ones."""

    def __str__(self) -> str:
        return self.name


def service_objective(
    name: str, tier: str | None = None, capacity: int | None = None
) -> ServiceObjective:
    """The objective a person means: a service objective name (``GP_Gen5_4``, ``S0``), or
    Azure's own sku shape (``GP_Gen5`` with capacity 4, ``Standard`` with capacity 10).
    ``tier`` and ``capacity``, where given, must agree with it. ``ValueError`` otherwise."""
    found = _named(name) or _from_sku(name, capacity)
    if found is None:
        raise ValueError(f"{name!r} is not an Azure SQL service objective (e.g. {EXAMPLES})")
    if tier is not None and tier.casefold() != found.tier.casefold():
        raise ValueError(f"{found.name} is of the {found.tier} tier, not {tier}")
    if capacity is not None and capacity != found.capacity:
        unit = "vCores" if found.family else "DTUs"
        raise ValueError(f"{found.name} has {found.capacity} {unit}, not {capacity}")
    return found


def objective_of_sku(sku_name: str, capacity: int | None) -> str | None:
    """The service objective name of a ``sku`` as Azure reports it; ``None`` if unknown."""
    found = _from_sku(sku_name, capacity)
    return found.name if found else None


def same_objective(a: str | None, b: str | None) -> bool:
    """Azure's names are case-insensitive; ``None`` (not reported) matches nothing."""
    return a is not None and b is not None and a.casefold() == b.casefold()


def _named(name: str) -> ServiceObjective | None:
    for known, dtus in _DTUS.items():
        if name.casefold() == known.casefold():
            tier = _tier_of(known)
            return ServiceObjective(known, tier, tier, dtus)
    match = _VCORE.match(name)
    if match is None:
        return None
    edition = match["edition"].upper()
    family = _FAMILIES.get(match["family"].casefold(), match["family"])
    capacity = int(match["capacity"])
    sku = f"{edition}_{family}"
    return ServiceObjective(f"{sku}_{capacity}", sku, _EDITIONS[edition], capacity, family)


def _from_sku(sku_name: str, capacity: int | None) -> ServiceObjective | None:
    if capacity is None:
        return None
    tier = next((t for t in _DTU_TIERS.values() if sku_name.casefold() == t.casefold()), None)
    if tier is not None:
        name = next((n for n, d in _DTUS.items() if d == capacity and _tier_of(n) == tier), None)
        return _named(name) if name else None
    return _named(f"{sku_name}_{capacity}")


def _tier_of(name: str) -> str:
    return "Basic" if name == "Basic" else _DTU_TIERS[name[0]]

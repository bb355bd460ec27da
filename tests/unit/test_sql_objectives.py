"""Azure SQL service objectives: the names people write in phoenix.yaml and in plans, and the
``sku`` Azure reports for each (sources in ``engine.sql_objectives``)."""

from __future__ import annotations

import pytest

from engine.config import parse_config
from engine.errors import ConfigError
from engine.plans.model import plan_book
from engine.sql_objectives import (
    ServiceObjective,
    objective_of_sku,
    same_objective,
    service_objective,
)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        (
            {"name": "GP_Gen5_4"},
            ServiceObjective("GP_Gen5_4", "GP_Gen5", "GeneralPurpose", 4, "Gen5"),
        ),
        ({"name": "S0"}, ServiceObjective("S0", "Standard", "Standard", 10)),
        ({"name": "P2"}, ServiceObjective("P2", "Premium", "Premium", 250)),
        ({"name": "Basic"}, ServiceObjective("Basic", "Basic", "Basic", 5)),
        ({"name": "S12"}, ServiceObjective("S12", "Standard", "Standard", 3000)),
        ({"name": "P15"}, ServiceObjective("P15", "Premium", "Premium", 4000)),
        ({"name": "HS_Gen5_2"}, ServiceObjective("HS_Gen5_2", "HS_Gen5", "Hyperscale", 2, "Gen5")),
        (
            {"name": "BC_Gen5_8"},
            ServiceObjective("BC_Gen5_8", "BC_Gen5", "BusinessCritical", 8, "Gen5"),
        ),
        (
            {"name": "gp_s_gen5_2"},
            ServiceObjective("GP_S_Gen5_2", "GP_S_Gen5", "GeneralPurpose", 2, "Gen5"),
        ),
        (
            {"name": "GP_Gen5_4", "tier": "GeneralPurpose", "capacity": 4},
            ServiceObjective("GP_Gen5_4", "GP_Gen5", "GeneralPurpose", 4, "Gen5"),
        ),
        ({"name": "S0", "tier": "Standard", "capacity": 10}, service_objective("S0")),
        # Azure's own shape, as a GET of the database reports it.
        ({"name": "GP_Gen5", "capacity": 4}, service_objective("GP_Gen5_4")),
        ({"name": "Standard", "capacity": 20}, service_objective("S1")),
        ({"name": "Premium", "tier": "Premium", "capacity": 250}, service_objective("P2")),
    ],
)
def test_the_names_people_write_mean_one_objective(
    written: dict[str, object], meant: ServiceObjective
) -> None:
    assert service_objective(**written) == meant  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ({"name": "S5"}, "'S5' is not an Azure SQL service objective (e.g. S0, P2"),
        ({"name": "GP_Gen5"}, "'GP_Gen5' is not an Azure SQL service objective"),
        ({"name": "S0", "tier": "Premium"}, "S0 is of the Standard tier, not Premium"),
        ({"name": "GP_Gen5_4", "capacity": 8}, "GP_Gen5_4 has 4 vCores, not 8"),
        ({"name": "P2", "capacity": 100}, "P2 has 250 DTUs, not 100"),
        ({"name": "Standard", "capacity": 11}, "'Standard' is not an Azure SQL service objective"),
    ],
)
def test_a_name_azure_does_not_know_is_refused_clearly(
    written: dict[str, object], why: str
) -> None:
    with pytest.raises(ValueError, match=why.replace("(", r"\(")):
        service_objective(**written)  # type: ignore[arg-type]


def test_the_objective_of_a_reported_sku() -> None:
    assert objective_of_sku("Standard", 10) == "S0"
    assert objective_of_sku("GP_Gen5", 4) == "GP_Gen5_4"
    assert objective_of_sku("HS_Gen5", 2) == "HS_Gen5_2"
    assert objective_of_sku("Standard", None) is None
    assert same_objective("gp_gen5_4", "GP_Gen5_4")
    assert not same_objective(None, "S0")


RECOVERY = """
recovery:
  azure_sql:
    server: dr-sql
    database: app
    sku: {sku}
    standby_sku: {standby}
"""


@pytest.mark.parametrize(
    ("sku", "standby", "scaled", "back"),
    [
        ("GP_Gen5_4", "GP_Gen5_2", "GP_Gen5_4", "GP_Gen5_2"),
        ("{name: GP_Gen5_4, tier: GeneralPurpose, capacity: 4}", "{name: S0}", "GP_Gen5_4", "S0"),
        ("{name: P2, tier: Premium, capacity: 250}", "S0", "P2", "S0"),
        ("HS_Gen5_2", "{name: Standard, capacity: 10}", "HS_Gen5_2", "S0"),
    ],
)
def test_the_config_keeps_the_names_people_write_and_plans_carry_the_objective(
    sku: str, standby: str, scaled: str, back: str
) -> None:
    config = parse_config(RECOVERY.format(sku=sku, standby=standby))
    book = plan_book(config)

    def objective(plan: str) -> object:
        stage = next(s for s in book[plan].stages if s.kind.name == "azure_sql_ready")
        return stage.params.sku.objective.name  # type: ignore[attr-defined]

    assert (objective("dr-azure"), objective("failback")) == (scaled, back)


def test_a_config_naming_an_unknown_objective_says_which_and_where() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(RECOVERY.format(sku="GP_Gen5_5x", standby="S0"))
    (problem,) = [str(p) for p in info.value.problems]
    assert problem.startswith("recovery.azure_sql.sku")
    assert "'GP_Gen5_5x' is not an Azure SQL service objective" in problem

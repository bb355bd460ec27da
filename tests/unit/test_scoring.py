from engine.health.scoring import score
from engine.model import Level, Status

from .levels_support import ALL_DOWN, T0, config, readings


def test_healthy_signals_score_zero_and_no_level() -> None:
    result = score(readings({}), config(), T0)
    assert result.total == 0
    assert result.raw_level == Level.NONE


def test_points_come_from_the_signal_then_the_defaults() -> None:
    cfg = config()
    result = score(readings({"service-a": Status.DOWN, "lag": Status.DEGRADED}), cfg, T0)
    points = {sp.signal: sp.points for sp in result.breakdown}
    assert points["service-a"] == 4  # the signal's own points
    assert points["lag"] == 1  # scoring.points.degraded
    assert result.total == 5
    assert result.raw_level == Level.SELF_HEAL


def test_unknown_has_its_own_points_and_is_never_free() -> None:
    cfg = config("scoring: {points: {unknown: 2}}\n")
    result = score(readings({"nodes": Status.UNKNOWN}), cfg, T0)
    assert result.total == 2


def test_level_bounds_default_to_4_8_11() -> None:
    cfg = config()
    assert [cfg.levels.level_for(s) for s in (3, 4, 7, 8, 10, 11, 40)] == [0, 1, 1, 2, 2, 3, 3]
    assert score(readings(ALL_DOWN), cfg, T0).raw_level == Level.DR_FAILOVER


def test_level_bounds_are_configurable() -> None:
    cfg = config(
        "levels:\n"
        "  self_heal: {min_score: 2, policy: auto, plan: self-heal}\n"
        "  region_failover: {min_score: 5, policy: approve, plan: region-failover}\n"
        "  dr_failover: {min_score: 30, policy: two-person, plan: dr-azure}\n"
    )
    assert score(readings({"service-a": Status.DOWN}), cfg, T0).raw_level == Level.SELF_HEAL
    assert score(readings(ALL_DOWN), cfg, T0).raw_level == Level.REGION_FAILOVER

"""`phoenix check-config` on drills: each drill's next three firings in its zone and in UTC, and
a warning, naming the fields, for a schedule that restricts both day fields (cron's OR rule)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.drill_schedules import drill_lines
from bot.cli.main import main
from engine.config import Drill
from engine.cron import zone

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)
OR_FORM = Drill(name="quarterly", schedule="0 10 1-7 1,4,7,10 2", timezone="Europe/Berlin")
NTH_FORM = Drill(name="quarterly", schedule="0 10 * 1,4,7,10 2#1", timezone="Europe/Berlin")
BERLIN, KOLKATA = zone("Europe/Berlin"), zone("Asia/Kolkata")
FIRING = re.compile(r"  \w{3} (.+) \w+ = (.+) UTC")
WARNING = (
    "  warning: drills[0].schedule: day-of-month '1-7' and day-of-week '2' are both restricted, "
    "so cron fires on every day that matches either one: at 10:00 on every day of month from 1 "
    "through 7 and on Tuesday in January, April, July, and October; did you mean "
    "'0 10 * 1,4,7,10 2#1' (at 10:00 on the first Tuesday of the month in January, April, July, "
    "and October)?"
)


def test_the_first_tuesday_of_each_quarter_written_as_days_1_to_7_fires_on_each_and_warns() -> None:
    assert drill_lines([OR_FORM], NOW) == [
        "drill quarterly: '0 10 1-7 1,4,7,10 2' in Europe/Berlin — At 10:00 on every day of "
        "month from 1 through 7 and on Tuesday in January, April, July, and October",
        "  Wed 2026-04-01 10:00 CEST = 2026-04-01 08:00 UTC",
        "  Thu 2026-04-02 10:00 CEST = 2026-04-02 08:00 UTC",
        "  Fri 2026-04-03 10:00 CEST = 2026-04-03 08:00 UTC",
        WARNING,
    ]


def test_the_first_tuesday_of_each_quarter_written_with_hash_fires_once_a_quarter() -> None:
    assert drill_lines([NTH_FORM], NOW) == [
        "drill quarterly: '0 10 * 1,4,7,10 2#1' in Europe/Berlin — At 10:00 on the first "
        "Tuesday of the month in January, April, July, and October",
        "  Tue 2026-04-07 10:00 CEST = 2026-04-07 08:00 UTC",
        "  Tue 2026-07-07 10:00 CEST = 2026-07-07 08:00 UTC",
        "  Tue 2026-10-06 10:00 CEST = 2026-10-06 08:00 UTC",
    ]


def test_a_time_the_clock_skips_is_shown_when_it_fires() -> None:
    nightly = Drill(name="nightly", schedule="30 2 * * *", timezone="America/New_York")
    _, first, second, _ = drill_lines([nightly], datetime(2026, 3, 7, 12, tzinfo=UTC))
    assert first == "  Sun 2026-03-08 03:00 EDT = 2026-03-08 07:00 UTC"
    assert second == "  Mon 2026-03-09 02:30 EDT = 2026-03-09 06:30 UTC"


def test_check_config_warns_but_still_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "phoenix.yaml"
    config.write_text(
        "drills:\n"
        "  - {name: quarterly, schedule: '0 10 1-7 1,4,7,10 2', timezone: Europe/Berlin}\n"
        "  - {name: nightly, schedule: '@daily', timezone: Asia/Kolkata}\n"
    )
    before = datetime.now(UTC)
    assert main(["check-config", str(config)]) == 0, "a warning is not an error"
    out, err = capsys.readouterr()
    assert err == ""
    summary, *lines = out.splitlines()
    assert summary.endswith("2 drills")
    assert lines[4] == WARNING
    assert lines[5].startswith("drill nightly: '@daily' in Asia/Kolkata — At 00:00 every day")
    assert len(lines) == 9
    for line, tz in zip((*lines[1:4], *lines[6:9]), [BERLIN] * 3 + [KOLKATA] * 3, strict=True):
        local, utc = FIRING.fullmatch(line).groups()  # type: ignore[union-attr]
        at = datetime.fromisoformat(utc).replace(tzinfo=UTC)
        assert at > before
        assert f"{at.astimezone(tz):%Y-%m-%d %H:%M}" == local, "one moment, said twice"
    assert [line[-9:] for line in lines[6:9]] == ["18:30 UTC"] * 3, "midnight in Kolkata"

"""Outside text as every message quotes it: clipped to its room, URLs without secrets."""

from __future__ import annotations

import pytest

from engine.text import DETAIL_LIMIT, clip, shown_url


def test_text_that_fits_is_kept_whole() -> None:
    assert clip("x" * DETAIL_LIMIT) == "x" * DETAIL_LIMIT
    assert clip("short", 5) == "short"


def test_longer_text_is_cut_to_its_room_ending_in_an_ellipsis() -> None:
    clipped = clip("abcdefghij", 5)
    assert clipped == "abcd…"
    assert len(clip("y" * 1000)) == DETAIL_LIMIT


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@api.example.com:8443/h?token=x", "https://api.example.com:8443/h?…"),
        ("http://[::1]:8080/ready", "http://[::1]:8080/ready"),
        ("https://hooks.example/webhook/abc#part", "https://hooks.example/webhook/abc"),
        ("https://hooks.example/a@b?sig=s3cr3t", "https://hooks.example/a@b?…"),
        ("redis://:p%40ss@redis.internal:6379/0", "redis://redis.internal:6379/0"),
        ("http://prometheus:9090", "http://prometheus:9090"),
    ],
)
def test_a_shown_url_keeps_where_it_points_and_drops_what_may_be_secret(
    url: str, shown: str
) -> None:
    assert shown_url(url) == shown


def test_no_part_of_a_credential_or_query_survives() -> None:
    shown = shown_url("https://alice:hunter2@hooks.example/n8n?token=tok-3f9a1c&x=1")
    assert "alice" not in shown
    assert "hunter2" not in shown
    assert "tok-3f9a1c" not in shown

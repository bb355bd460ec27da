"""The sandbox page in real headless Chromium: /phoenix status, a regional outage from the
fault panel, two approvals through the modal as two people, the stages in the thread."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.runtime import Sandbox
from sandbox.web.server import SandboxPage

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("PHOENIX_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason="Debian's chromium is not installed (make system-deps)"
)


@pytest.fixture
def page(sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[object, str]]:
    with SandboxPage(sandbox, port=0) as served, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        try:
            yield tab, served.url
        except BaseException:
            tab.screenshot(path=str(tmp_path / "sandbox-at-failure.png"))
            raise
        finally:
            browser.close()


def _approve_as(tab: object, user: str, environment: str) -> None:
    tab.select_option("[data-testid=user-select]", user)  # type: ignore[attr-defined]
    tab.locator("#messages button[data-action-id=phoenix_approve_typed]").click()  # type: ignore[attr-defined]
    modal = tab.locator("#dialog.modal")  # type: ignore[attr-defined]
    modal.locator(".bk-text-input").fill(environment)
    modal.locator("[data-testid=modal-submit]").click()


def test_the_whole_story_in_a_browser(
    page: tuple[object, str], sandbox: Sandbox, tmp_path: Path
) -> None:
    tab, url = page
    tab.goto(url)  # type: ignore[attr-defined]
    composer = tab.locator("[data-testid=composer]")  # type: ignore[attr-defined]
    composer.fill("/phoenix status")
    composer.press("Enter")
    status = tab.locator("#messages .message.ephemeral")  # type: ignore[attr-defined]
    status.first.wait_for()
    assert "Only visible to you" in status.first.inner_text()

    tab.locator("[data-fault=regional-outage]").click()  # type: ignore[attr-defined]
    proposal = tab.locator("#messages .message", has_text="DR failover to Azure")  # type: ignore[attr-defined]
    proposal.first.wait_for()
    assert "awaiting approval" in proposal.first.inner_text().lower()

    _approve_as(tab, "UALICE", "sandbox")
    tab.locator("#messages .message", has_text="1 of 2").first.wait_for()  # type: ignore[attr-defined]
    _approve_as(tab, "UBOB", "sandbox")

    tab.locator("#messages .message", has_text="Succeeded").first.wait_for()  # type: ignore[attr-defined]
    tab.locator("[data-testid=replies]").first.click()  # type: ignore[attr-defined]
    thread = tab.locator("#thread-messages")  # type: ignore[attr-defined]
    thread.locator(".message", has_text="Run succeeded").wait_for()
    # The reporter coalesces edits: the stage messages land their final state soon after.
    deadline = time.monotonic() + 20
    while "running" in thread.inner_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    text = thread.inner_text()
    assert "running" not in text
    # The built-in dr-azure plan, with the sandbox's resources: every stage real and run.
    stages = len(sandbox.config.plans["dr-azure"].stages)
    assert f"Stage {stages} of {stages}" in text
    assert "failed over group phoenix-fog" in text
    assert text.count("succeeded") >= stages
    assert "Alice" in proposal.first.inner_text() or "alice" in proposal.first.inner_text()

    artifacts = Path(os.environ.get("PHOENIX_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "sandbox-dr-failover.png"
    tab.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    assert sandbox.world.serving_side() == "azure"


def test_the_page_shows_readiness_and_a_readiness_fault_turns_its_check(
    page: tuple[object, str], sandbox: Sandbox
) -> None:
    tab, url = page
    tab.goto(url)  # type: ignore[attr-defined]
    panel = tab.locator("[data-testid=readiness]")  # type: ignore[attr-defined]
    panel.locator("tr[data-check=traffic-manager].verdict-ready").wait_for()
    assert "If we failed over now: RTO" in panel.inner_text()

    tab.locator("[data-fault=dr-endpoint-disabled]").click()  # type: ignore[attr-defined]
    broken = panel.locator("tr[data-check=traffic-manager].verdict-not_ready")
    broken.wait_for()
    assert "azure-dr is disabled" in broken.inner_text()
    notice = tab.locator("#messages .message", has_text="DR readiness")  # type: ignore[attr-defined]
    notice.first.wait_for()
    assert "stopped being ready" in notice.first.inner_text()


def test_a_drills_picture_shows_inline_in_its_thread(
    page: tuple[object, str], sandbox: Sandbox, tmp_path: Path
) -> None:
    from sandbox.scenarios import SCENARIOS, play

    outcome = play(SCENARIOS["drill"], sandbox)
    assert outcome.passed, outcome.report()
    tab, url = page
    tab.goto(url)  # type: ignore[attr-defined]
    header = tab.locator("#messages .message", has_text="DR DRILL")  # type: ignore[attr-defined]
    header.last.locator("[data-testid=replies]").click()
    image = tab.locator("#thread-messages img[data-testid=file-image]")  # type: ignore[attr-defined]
    image.wait_for()
    image.scroll_into_view_if_needed()
    tab.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelector('#thread-messages img.file-image').naturalWidth > 0"
    )
    shown = image.bounding_box()
    assert shown is not None
    assert 300 <= shown["width"] <= 400, "as wide as Slack's preview in a thread"
    assert "Drill weekly-dr passed" in (image.get_attribute("alt") or "")
    thread = tab.locator("#thread-messages").inner_text()  # type: ignore[attr-defined]
    assert "Timeline of drill weekly-dr: RTO" in thread

    artifacts = Path(os.environ.get("PHOENIX_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "sandbox-drill-picture.png"
    tab.screenshot(path=str(shot))  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000

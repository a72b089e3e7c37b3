"""The pages in a real browser: Debian's chromium driven by Playwright against `medguide
serve` on 127.0.0.1. Four flows a person does; a screenshot of each in tests/artifacts/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CHROMIUM} is missing; scripts/test.sh installs it in CI")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    home = tmp_path_factory.mktemp("web-home")
    env = {**os.environ, "MEDGUIDE_HOME": str(home)}
    env.pop("MEDGUIDE_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "medguide", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=False)
    context.close()


def test_search_lioresal_and_read_the_guide(base: str, page: Any) -> None:
    page.goto(base + "/")
    page.get_by_label("Drug name").fill("lioresal")
    page.keyboard.press("Enter")
    page.wait_for_url("**/guide/baclofen")
    assert page.get_by_role("heading", name="At a glance").is_visible()
    details = page.locator("details.sources").first
    details.locator("summary").click()
    assert details.get_attribute("open") is not None


def test_check_medicines_shows_an_interaction_card(base: str, page: Any) -> None:
    page.goto(base + "/check")
    page.get_by_label("Your medicines").fill("baclofen 10 mg three times a day\noxycodone 5 mg q6h")
    page.get_by_role("button", name="Check").click()
    card = page.locator("article.card", has_text="oxycodone").first
    card.wait_for()
    assert "What to do" in card.inner_text()


def test_cant_wake_him_up_shows_the_emergency_screen_first(base: str, page: Any) -> None:
    page.goto(base + "/feel")
    page.get_by_label("What do you notice?").fill("can't wake him up")
    page.get_by_role("button", name="How urgent is it?").click()
    block = page.locator("section.emergency")
    block.wait_for()
    box = block.bounding_box()
    assert box is not None and box["y"] < 200 and box["width"] >= 350  # first, full width
    assert "911" in block.inner_text()


def test_record_a_dose_and_find_it_in_history(base: str, page: Any) -> None:
    page.goto(base + "/journal")
    page.get_by_label("Your medicine").fill("baclofen 10 mg every 4 hours")
    page.get_by_label("Time zone").fill("UTC")
    page.get_by_role("button", name="Start my journal").click()
    page.get_by_role("heading", name="Today's doses").wait_for()
    taken = page.locator("button.taken").first
    if taken.count() == 0:
        pytest.skip("no dose is open today at this hour")
    taken.click()  # htmx swaps the journal in place
    page.locator("#history td", has_text="taken").first.wait_for()
    assert page.locator("#history").inner_text().count("taken") >= 1

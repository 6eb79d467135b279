"""Real-browser tests: `streamlit run` on a free port, driven by headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, browser_page, running_app, wait_for_app

from relucurves.cache import ModelCache
from relucurves.data import load_fashion_mnist
from relucurves.models import ModelSpec

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def app():
    with running_app() as served:
        yield served


def caption(page) -> str:
    return page.locator(
        '[data-testid="stMain"] [data-testid="stCaptionContainer"]'
    ).first.inner_text()


def test_app_in_a_real_browser(app, tmp_path):
    with browser_page() as page:
        page.goto(app.url)
        wait_for_app(page)
        assert page.locator(ERRORS).count() == 0
        assert page.locator('[data-testid="stVegaLiteChart"]').count() == 2
        assert "Pixel (14, 14) swept from 0 to 1" in caption(page)

        # Clicking a heatmap cell sweeps that pixel.
        heatmap = page.locator('[data-testid="stVegaLiteChart"]').nth(1)
        heatmap.locator('path[aria-label^="column: 20; row: 3;"]').click()
        page.wait_for_function(
            "document.body.innerText.includes('Pixel (3, 20) swept')", timeout=30_000
        )
        assert "row=3" in page.url and "col=20" in page.url

        # A shared link reproduces its view.
        page.goto(f"{app.url}/?row=2&col=9&lo=-50&hi=50&plot=logits")
        wait_for_app(page)
        assert "Pixel (2, 9) swept from -50 to 50" in caption(page)
        assert page.get_by_role("spinbutton", name="row", exact=True).input_value() == "2"
        assert page.locator(ERRORS).count() == 0
        shot = tmp_path / "relucurves.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 20_000
        if os.environ.get("RELUCURVES_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["RELUCURVES_SCREENSHOT_DIR"]) / shot.name)

        # A hostile link warns and keeps working.
        page.goto(f"{app.url}/?row=999&lo=nan&baseline=%3Cscript%3E")
        wait_for_app(page)
        assert page.locator('[data-testid="stAlertContentWarning"]').count() >= 1
        assert page.locator(ERRORS).count() == 0


def _set_row(page, row: int) -> None:
    box = page.get_by_role("spinbutton", name="row", exact=True)
    box.fill(str(row))
    box.press("Enter")


def test_concurrent_visitors_get_their_own_views_and_one_training(app):
    """Four sessions at once: two train the same new spec, two move their controls."""
    from playwright.sync_api import sync_playwright

    spec = ModelSpec(hidden=(12,), epochs=1, batch_size=512, seed=0)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            pages = [browser.new_context().new_page() for _ in range(4)]
            for k, page in enumerate(pages):
                page.goto(f"{app.url}/{'train' if k < 2 else f'?col={k}'}")
            for page in pages[:2]:
                page.get_by_role("textbox", name="Hidden layer widths").wait_for()
                page.get_by_role("textbox", name="Hidden layer widths").fill("12")
                page.get_by_role("spinbutton", name="Epochs").fill("1")
            for page in pages[:2]:
                page.get_by_role("combobox", name="Batch size").click()
                page.get_by_role("option", name="512").click()
            for page in pages[:2]:  # both ask at (nearly) the same moment
                page.get_by_role("button", name="Train").click()
            for k, page in enumerate(pages[2:], start=2):
                wait_for_app(page)
                _set_row(page, 10 + k)
            for k, page in enumerate(pages[2:], start=2):
                page.wait_for_function(
                    f"document.body.innerText.includes('Pixel ({10 + k}, {k}) swept')",
                    timeout=60_000,
                )
            messages = []
            for page in pages[:2]:
                success = page.locator('[data-testid="stAlertContentSuccess"]')
                success.wait_for(timeout=300_000)
                messages.append(success.inner_text())
            for page in pages:
                assert page.locator(ERRORS).count() == 0
        finally:
            browser.close()
    assert all("Now exploring 12 relu" in m for m in messages)
    assert sum("(from the cache)" in m for m in messages) == 1, messages
    cache = ModelCache()
    key = spec.key(load_fashion_mnist().sha256)
    assert cache.get(key).hidden_widths == (12,)
    assert not list(cache.folder.glob("*.tmp"))

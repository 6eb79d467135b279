"""Server memory of the hosted app: explore-only, then after a training run.

    uv run python benchmarks/bench_memory.py

Starts `streamlit run` like a host would, drives it in headless Chromium, and reads the
server's peak resident memory (VmHWM) and whether TensorFlow's library got loaded.
Baseline, measured in the same run: an empty Streamlit app served the same way.
Streamlit Community Cloud gives an app about 690 MB.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import browser_page, running_app, wait_for_app  # noqa: E402

LIMIT_MB = 690


def empty_app_mb() -> float:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "empty.py"
        script.write_text("import streamlit as st\nst.metric('x', 1)\nst.line_chart([1, 2])\n")
        with running_app(script) as app, browser_page() as page:
            page.goto(app.url)
            wait_for_app(page, charts=1)
            return app.peak_rss_mb()


def main() -> None:
    base = empty_app_mb()
    rows = [("empty Streamlit app (baseline)", base, False)]
    with running_app() as app, browser_page() as page:
        for query in ("", "?lo=-50&hi=50", "?baseline=sample&index=3&plot=logits"):
            page.goto(f"{app.url}/{query}")
            wait_for_app(page)
        page.goto(f"{app.url}/heatmaps?lo=-5&hi=5")
        wait_for_app(page, charts=6)
        rows.append(("explore: curves + heatmaps", app.peak_rss_mb(), app.loaded_tensorflow()))
        page.goto(f"{app.url}/train")
        page.get_by_role("textbox", name="Hidden layer widths").fill("32")
        page.get_by_role("button", name="Train").click()
        page.wait_for_selector('[data-testid="stAlertContentSuccess"]', timeout=300_000)
        rows.append(
            ("after training 32 relu, 5 epochs", app.peak_rss_mb(), app.loaded_tensorflow())
        )
    print(f"{'server state':<36}{'peak RSS':>10}{'x baseline':>12}{'TensorFlow':>12}")
    for name, mb, tf in rows:
        print(f"{name:<36}{mb:>8.0f}MB{mb / base:>11.1f}x{('loaded' if tf else 'no'):>12}")
    explore = rows[1][1]
    print(f"\nexplore-only path: {explore:.0f} MB of the {LIMIT_MB} MB Community Cloud limit")


if __name__ == "__main__":
    main()

"""The app as a host runs it: start-up, first view, memory explore-only and after training.

    uv run python benchmarks/bench_hosting.py

Starts `streamlit run` like a host would, times it until /_stcore/health answers and
until the first page has drawn in headless Chromium, then reads the server's peak
resident memory (VmHWM) and whether TensorFlow's library got loaded. Baseline,
measured in the same run: an empty Streamlit app served the same way. Community Cloud
gives an app about 690 MB.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import browser_page, running_app, wait_for_app  # noqa: E402

LIMIT_MB = 690
EMPTY_APP = "import streamlit as st\nst.metric('x', 1)\nst.line_chart([1, 2])\n"


def start(stack: contextlib.ExitStack, script: Path, charts: int):
    """Serve ``script`` and open it: (app, page, seconds to healthy, seconds to first view)."""
    begin = time.perf_counter()
    app = stack.enter_context(running_app(script))
    healthy = time.perf_counter() - begin
    page = stack.enter_context(browser_page())
    begin = time.perf_counter()
    page.goto(app.url)
    wait_for_app(page, charts=charts)
    return app, page, healthy, time.perf_counter() - begin


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        script = Path(folder) / "empty.py"
        script.write_text(EMPTY_APP)
        app, _, base_healthy, base_first = start(stack, script, charts=1)
        base = app.peak_rss_mb()
    rows = [("empty Streamlit app (baseline)", base, False)]
    with contextlib.ExitStack() as stack:
        app, page, healthy, first = start(stack, ROOT / "streamlit_app.py", charts=2)
        for query in ("?lo=-50&hi=50", "?baseline=sample&index=3&plot=logits"):
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

    print(f"{'start-up':<36}{'healthy after':>14}{'first view':>12}")
    print(f"{'empty Streamlit app (baseline)':<36}{base_healthy:>13.1f}s{base_first:>11.1f}s")
    print(f"{'relucurves':<36}{healthy:>13.1f}s{first:>11.1f}s")
    print(f"{'x baseline':<36}{healthy / base_healthy:>13.1f}x{first / base_first:>11.1f}x\n")
    print(f"{'server state':<36}{'peak RSS':>10}{'x baseline':>12}{'TensorFlow':>12}")
    for name, mb, tf in rows:
        print(f"{name:<36}{mb:>8.0f}MB{mb / base:>11.1f}x{('loaded' if tf else 'no'):>12}")
    print(f"\nexplore-only path: {rows[1][1]:.0f} MB of the {LIMIT_MB} MB Community Cloud limit")


if __name__ == "__main__":
    main()

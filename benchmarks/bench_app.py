"""How fast the app responds: server time per page run in AppTest, and start-up import cost.

    uv run python benchmarks/bench_app.py [--repeats 7]

Each figure is a median over repeats, printed next to a baseline measured in the same
run (an empty Streamlit page for page runs, ``import streamlit`` for imports), because
the machines here are shared and noisy. Needs Fashion-MNIST (RELUCURVES_DATA_DIR).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
PAGES = [
    "pages/curves.py",
    "pages/heatmaps.py",
    "pages/why_boring.py",
    "pages/lines.py",
    "pages/domains.py",
    "pages/scaling.py",
    "pages/train.py",
]


def _timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run(timeout=300)
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def empty_page_seconds(repeats: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "empty.py"
        script.write_text("import streamlit as st\nst.sidebar.number_input('x')\nst.write('hi')\n")
        at = AppTest.from_file(str(script))
        _timed_run(at)
        return statistics.median(_timed_run(at) for _ in range(repeats))


def page_seconds(page: str, repeats: int) -> tuple[float, float]:
    """(first view, median re-run after moving the pixel control) of one page."""
    at = AppTest.from_file(APP, default_timeout=300)
    _timed_run(at)
    if page != PAGES[0]:
        at.switch_page(page)
    first = _timed_run(at)
    times = []
    for k in range(repeats):
        at.number_input(key="w_row").set_value(3 + k)  # a new pixel: not a cache hit
        times.append(_timed_run(at))
    return first, statistics.median(times)


def import_seconds(statement: str, repeats: int) -> tuple[float, bool]:
    code = (
        "import sys, time; t = time.perf_counter(); "
        f"{statement}; print(time.perf_counter() - t, 'tensorflow' in sys.modules)"
    )
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        seconds, tf = out.stdout.split()
        runs.append(float(seconds))
    return statistics.median(runs), tf == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from apptest_support import patch_apptest

    patch_apptest()

    base = empty_page_seconds(args.repeats)
    print(f"baseline: empty Streamlit page re-run, median {base * 1000:.1f} ms\n")
    print(f"{'page':<22}{'first view':>12}{'control change':>17}{'x baseline':>12}")
    for page in PAGES:
        first, rerun = page_seconds(page, args.repeats)
        print(f"{page:<22}{first * 1000:>10.0f}ms{rerun * 1000:>15.0f}ms{rerun / base:>11.1f}x")

    st_import, _ = import_seconds("import streamlit", args.repeats)
    app_import, tf = import_seconds("import streamlit, relucurves.ui", args.repeats)
    print(f"\nimport streamlit:               median {st_import:.2f} s")
    print(f"import streamlit + relucurves.ui: median {app_import:.2f} s "
          f"({app_import / st_import:.2f}x); tensorflow imported: {tf}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Run the real app with `streamlit run` and drive it in headless Chromium.

Used by test_browser.py, and to remake the README screenshot:
``uv run python tests/browser.py docs/screenshot.png``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class App:
    url: str
    pid: int

    def peak_rss_mb(self) -> float:
        """The server's peak resident memory so far (Linux)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
        return int(kb) / 1024

    def loaded_tensorflow(self) -> bool:
        return "libtensorflow" in Path(f"/proc/{self.pid}/maps").read_text()


@contextlib.contextmanager
def running_app(script: Path = ROOT / "streamlit_app.py", timeout: float = 90) -> Iterator[App]:
    """Serve a Streamlit script on a free localhost port until the block ends."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    # Output goes to a file, not a pipe: nobody reads a pipe, and a full one stalls the server.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(url, proc, log, time.monotonic() + timeout)
            yield App(url, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_healthy(url: str, proc: subprocess.Popen, log, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"streamlit did not start:\n{log.read().decode()}") from None
            time.sleep(0.3)


@contextlib.contextmanager
def browser_page(width: int = 1500, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def wait_for_app(page, charts: int = 2, timeout: float = 60_000) -> None:
    """Wait until the script has finished and the charts have drawn."""
    page.wait_for_function(
        f'document.querySelectorAll(\'[data-testid="stVegaLiteChart"] canvas, '
        f'[data-testid="stVegaLiteChart"] svg.marks\').length >= {charts}',
        timeout=timeout,
    )
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )


def screenshot(path: Path, query: str = "") -> None:
    with running_app() as app, browser_page() as page:
        page.goto(f"{app.url}/{query}")
        wait_for_app(page)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(path))
    from PIL import Image

    with Image.open(path) as shot:  # a 256-colour palette keeps the README image small
        shot.convert("RGB").quantize(256).save(path, optimize=True)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png")
    query = os.environ.get("RELUCURVES_SCREENSHOT_QUERY", "?row=2&col=9&lo=-50&hi=50&plot=logits")
    screenshot(out, query)
    print(f"wrote {out}")

"""Make AppTest run a st.navigation app the way a real server does."""

from __future__ import annotations

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import app_test


class NavigationPagesManager(PagesManager):
    """AppTest re-detects a pages/ folder on every run and then runs the page file alone.

    A real server decides once, and st.navigation turns that detection off for good
    (relucurves.ui reruns the one request that comes before). Decide the same way here,
    or every AppTest run would start with that extra rerun, which drops button clicks.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


def patch_apptest(setattr=setattr) -> None:
    """Install the manager; pass ``monkeypatch.setattr`` to undo it after a test."""
    setattr(app_test, "PagesManager", NavigationPagesManager)

"""Starting the app where there is no display: one line saying so, before anything is built."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.main import display_problem

ROOT = Path(__file__).resolve().parents[2]


def headless_env():
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a display is always there elsewhere")
def test_make_run_without_a_display_says_so_in_one_line_and_builds_nothing(tmp_path):
    venv = tmp_path / "venv"
    done = subprocess.run(
        ["make", "--no-print-directory", "run", f"VENV={venv}"],
        cwd=ROOT,
        env=headless_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1, lines
    assert "needs a display" in lines[0] and "xcb" not in lines[0]
    assert not venv.exists(), "it began building before saying so"


def test_the_app_itself_names_a_missing_display_or_one_that_does_not_answer():
    if not sys.platform.startswith("linux"):
        assert display_problem({}) is None
        return
    assert "needs a display" in display_problem({})
    assert "DISPLAY=:9999" in display_problem({"DISPLAY": ":9999"})
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None

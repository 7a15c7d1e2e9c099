"""The app folder is relocatable: it can be installed under another package name."""

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def test_no_absolute_imports_of_the_app_inside_it():
    pattern = re.compile(r"^\s*(from app(\.| import)|import app\b)", re.M)
    offenders = [str(p.relative_to(APP)) for p in APP.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []

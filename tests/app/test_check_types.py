"""The type-check gate (tests/app/check_types.py) without running mypy: the engine and the
Qt-free layers may have no error, other files no more than their allowance, and the baseline
only shrinks."""

from __future__ import annotations

from collections import Counter

import check_types

OUTPUT = """\
app/menus.py:12: error: "QMainWindow" has no attribute "images"  [attr-defined]
app/menus.py:12: note: a note is not an error
app/menus.py:40:5: error: Item "None" of "Any | None" has no attribute "x"  [union-attr]
app/session/session.py:3: error: Incompatible types in assignment  [assignment]
Found 3 errors in 2 files (checked 86 source files)
"""


def test_errors_are_counted_per_file_and_notes_are_not():
    assert check_types.error_counts(OUTPUT) == Counter({"app/menus.py": 2, "app/session/session.py": 1})


def test_the_qt_free_layers_allow_no_error_whatever_the_baseline_says():
    counts = check_types.error_counts(OUTPUT)
    broken = check_types.problems(counts, {"app/menus.py": 2, "app/session/session.py": 5})
    assert broken == ["app/session/session.py: 1 mypy errors, 0 allowed"]


def test_the_engine_allows_no_error_either():
    counts = Counter({"srcrm/inference/strategy.py": 1})
    assert check_types.problems(counts, {"srcrm/inference/strategy.py": 3}) == [
        "srcrm/inference/strategy.py: 1 mypy errors, 0 allowed"
    ]


def test_a_count_that_grows_or_a_new_file_with_errors_fails():
    counts = Counter({"app/menus.py": 3, "app/new_view.py": 1})
    assert check_types.problems(counts, {"app/menus.py": 2}) == [
        "app/menus.py: 3 mypy errors, 2 allowed",
        "app/new_view.py: 1 mypy errors, 0 allowed",
    ]


def test_the_baseline_written_back_holds_the_smaller_counts(tmp_path):
    path = tmp_path / "baseline.txt"
    path.write_text("# header\napp/menus.py 42\napp/canvas.py 2\n")
    check_types.write_baseline(Counter({"app/menus.py": 5}), path)
    assert path.read_text() == "# header\napp/menus.py 5\n"
    assert check_types.read_baseline(path) == {"app/menus.py": 5}

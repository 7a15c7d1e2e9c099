"""Facts the engine and the app must agree on are defined once: image suffixes, name order."""

from pathlib import Path

from srcrm.base.natural_sort import natural_key
from srcrm.base.suffixes import IMAGE_SUFFIXES


def test_natural_order_compares_numbers_by_value_and_ignores_case():
    names = ["f10.png", "F2.png", "f1.png", "f2b.png"]
    assert sorted(names, key=natural_key) == ["f1.png", "F2.png", "f2b.png", "f10.png"]


def test_no_module_keeps_its_own_list_of_image_suffixes():
    repo = Path(__file__).resolve().parents[2]

    def lists_suffixes(text: str) -> bool:
        return sum(f'"{suffix}"' in text or f"'{suffix}'" in text for suffix in IMAGE_SUFFIXES) >= 4

    holders = [
        p.relative_to(repo).as_posix()
        for folder in ("srcrm", "app")
        for p in sorted((repo / folder).rglob("*.py"))
        if lists_suffixes(p.read_text("utf-8"))
    ]
    assert holders == ["srcrm/base/suffixes.py"]

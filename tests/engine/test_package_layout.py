"""The engine's rooms (docs/design.md): modules live in a room, not loose at the top, and the
names scripts use come from ``srcrm`` itself without importing torch until they are used."""

import subprocess
import sys
from pathlib import Path

import srcrm

SRCRM = Path(srcrm.__file__).parent
ROOMS = {"base", "commands", "data", "evaluation", "formats", "inference", "matting", "models"}
ROOMS |= {"recipes", "train", "video"}


def test_only_the_entry_points_are_loose_at_the_top():
    loose = {p.name for p in SRCRM.glob("*.py")}
    assert loose == {"__init__.py", "__main__.py", "cli.py"}
    assert {p.name for p in SRCRM.iterdir() if (p / "__init__.py").is_file()} == ROOMS


def test_the_public_names_resolve_and_import_srcrm_loads_no_torch():
    code = (
        "import sys, srcrm\n"
        "assert 'torch' not in sys.modules, 'import srcrm loaded torch'\n"
        "for name in srcrm.__all__:\n"
        "    assert getattr(srcrm, name).__name__ == name, name\n"
        "print('ok')"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "ok", run.stderr

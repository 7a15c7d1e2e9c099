"""Commands that need no network start without importing torch (it alone takes seconds cold)."""

import subprocess
import sys

import pytest

from srcrm.cli import COMMANDS, build_parser

LIGHT = [
    ["--help"],
    ["convert", "--help"],
    ["train", "--help"],
    ["finetune", "--help"],
    ["predict", "--help"],
]


@pytest.mark.parametrize("argv", LIGHT, ids=" ".join)
def test_light_commands_do_not_import_torch(argv):
    code = (
        "import sys\nfrom srcrm.cli import main\ntry:\n    main(sys.argv[1:])\n"
        "except SystemExit:\n    pass\nprint('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_every_command_in_the_table_registers_under_its_name():
    for name in COMMANDS:
        assert f"{{{name}}}" in build_parser(only=name).format_usage()

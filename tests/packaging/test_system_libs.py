"""``make run`` names the Debian packages of the Qt libraries the linker cannot find."""

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_system_libs.sh"


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libEGL.so.1", "libegl1"),
        ("libglib-2.0.so.0", "libglib2.0-0"),
    ],
)
def test_debian_package_of_a_missing_library(soname, package):
    function = subprocess.run(
        ["sed", "-n", "/^debian_package()/,/^}/p", str(SCRIPT)], capture_output=True, text=True, check=True
    ).stdout
    out = subprocess.run(
        ["bash", "-c", f"{function}\ndebian_package {soname}"], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == package

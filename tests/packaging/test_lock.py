"""The environment the suite runs in is the one constraints.txt pins: a fresh machine that
installs from the lock gets what CI tested, and a drift (a package upgraded by hand, a pin
edited without a rebuild) fails here instead of in some unrelated test."""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

LOCK = REPO / "constraints.txt"


def pins() -> dict[str, str]:
    out = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{line}: the lock pins exact versions"
            out[canonicalize_name(req.name)] = spec.version
    return out


def test_every_pinned_package_is_installed_at_its_pinned_version():
    drift = []
    for name, version in pins().items():
        try:
            installed = metadata.version(name).split("+")[0]
        except metadata.PackageNotFoundError:
            drift.append(f"{name}: pinned {version}, not installed")
            continue
        if installed != version:
            drift.append(f"{name}: pinned {version}, installed {installed}")
    assert not drift, "the environment drifted from constraints.txt (make clean test): " + "; ".join(drift)


def test_every_dependency_of_the_project_is_pinned():
    """A new dependency in pyproject.toml must come with a pin, or a fresh machine takes its newest."""
    locked = pins()
    required = metadata.requires("srcrm-studio") or []
    missing = sorted(
        {
            canonicalize_name(Requirement(r).name)
            for r in required
            if "extra ==" not in r or any(f'extra == "{e}"' in r for e in ("test", "pretrained"))
        }
        - set(locked)
    )
    assert not missing, f"not in constraints.txt: {missing}"

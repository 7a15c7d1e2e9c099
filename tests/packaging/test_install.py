"""A plain (non-editable) install works from anywhere: the default model and the samples come
along as package data, the app installs as ``srcrm_studio``, and no top-level ``app`` appears."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = ["srcrm", "app", "resources", "setup.py", "pyproject.toml", "README.md", "LICENSE"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """``pip install --target`` of a copy of the sources (the build writes beside its sources)."""
    tmp = tmp_path_factory.mktemp("install")
    for name in SOURCES:
        source, copy = REPO / name, tmp / "src" / name
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", ".srcrm"))
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-compile",
            "--quiet",
            "--target",
            str(tmp / "site"),
            str(tmp / "src"),
        ],
        check=True,
        capture_output=True,
    )
    return tmp / "site"


def _run(site: Path, code: str, cwd: Path) -> str:
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_the_installed_package_finds_its_model_and_samples(installed, tmp_path):
    out = _run(
        installed,
        "import srcrm.models.checkpoint as c, srcrm_studio.settings as s, json\n"
        "print(c.DEFAULT_MANIFEST)\nprint(s.SAMPLE_IMAGE)\n"
        "print(len(json.loads(c.DEFAULT_MANIFEST.read_text())['parts']))\n"
        "print(c.load_checkpoint(None).config.name)",
        tmp_path,
    )
    manifest, sample, parts, model = out.splitlines()
    assert model == "lite0-srm-topdown-crm"  # the parts are all there and their hash checks out
    assert Path(manifest).is_relative_to(installed) and Path(manifest).is_file()
    assert Path(sample).is_relative_to(installed) and Path(sample).is_file()
    assert all((Path(manifest).parent / f"default.pt.part{i}").is_file() for i in range(int(parts)))


def test_the_app_installs_as_srcrm_studio_and_nothing_generic(installed, tmp_path):
    assert sorted(p.name for p in installed.iterdir() if not p.name.endswith(".dist-info")) == [
        "bin",
        "srcrm",
        "srcrm_studio",
    ]
    app_packages = {p.parent.relative_to(REPO / "app") for p in (REPO / "app").rglob("__init__.py")}
    assert {
        p.parent.relative_to(installed / "srcrm_studio")
        for p in (installed / "srcrm_studio").rglob("__init__.py")
    } == app_packages
    out = _run(
        installed,
        "import srcrm_studio.main, sys\nprint(srcrm_studio.main.__file__)\nprint('app' in sys.modules)",
        tmp_path,
    )
    assert out.splitlines() == [str(installed / "srcrm_studio" / "main.py"), "False"]
    script = (installed / "bin" / "srcrm-studio").read_text()
    assert "from srcrm_studio.main import main" in script

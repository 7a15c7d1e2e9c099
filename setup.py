"""The package list, which pyproject.toml cannot compute: the ``app/`` folder installs as
``srcrm_studio`` (no generic top-level ``app`` in site-packages) and ``resources/`` as the package
data ``srcrm.resources``, each of its folders a data-only package. The rest is in pyproject.toml."""

from pathlib import Path

from setuptools import find_packages, setup

APP = "srcrm_studio"
engine = find_packages(include=["srcrm", "srcrm.*"])
app = [APP + name[len("app") :] for name in find_packages(include=["app", "app.*"])]
data = [
    f"srcrm.resources.{d.name}"
    for d in sorted(Path(__file__).parent.joinpath("resources").iterdir())
    if d.is_dir() and d.name != "__pycache__"
]

setup(
    packages=[*engine, *app, "srcrm.resources", *data],
    package_dir={APP: "app", "srcrm.resources": "resources"},
    package_data={name: ["*"] for name in data},
)

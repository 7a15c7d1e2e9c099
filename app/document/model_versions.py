"""The fine-tuned models of a project, kept beside its labels.

``<label dir>/models/`` holds one checkpoint per kept model (``v1.pt``, ``v2.pt``, …) and
``versions.json``: for each version where it came from (its parent model, the images it was
trained and measured on, how many steps), its scores before and after, and its classes; plus
which model the project uses now (``current``: a version id, or None for the bundled default).

A version is never overwritten or renumbered: ids only grow, even past files whose entry was
lost. ``versions.json`` is written atomically; a damaged one raises
:class:`VersionRegistryError` with a message for the user and is never rewritten over, so no
record is lost by opening it.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from srcrm.base.io import atomic_write, atomic_write_text
from srcrm.base.jsonio import load_json

MODELS_DIR_NAME = "models"
REGISTRY_NAME = "versions.json"
REGISTRY_FORMAT = "srcrm-model-versions"
REGISTRY_VERSION = 1
_ID = re.compile(r"^v(\d+)$")


class VersionRegistryError(ValueError):
    """``versions.json`` cannot be read or does not describe model versions."""


@dataclass(frozen=True)
class ModelVersion:
    id: str
    file: str  # relative to the models folder
    parent: str | None  # a version id, "default", or the parent checkpoint's path
    created: str  # ISO 8601, UTC
    train_names: list[str] = field(default_factory=list)
    holdout_names: list[str] = field(default_factory=list)
    before: dict = field(default_factory=dict)  # metrics on the holdout images, parent model
    after: dict = field(default_factory=dict)  # the same, this model
    steps: int = 0
    class_names: list[str] = field(default_factory=list)

    @property
    def miou(self) -> float | None:
        value = self.after.get("miou")
        return float(value) if isinstance(value, (int, float)) else None

    def describe(self) -> str:
        """One line for a menu: ``v2 · mIoU 61.3% · 12 images, 200 steps``."""
        parts = [self.id]
        if self.miou is not None:
            parts.append(f"mIoU {100 * self.miou:.1f}%")
        parts.append(f"{len(self.train_names)} images, {self.steps} steps")
        return " · ".join(parts)


class ModelVersions:
    """The registry of one project's models folder (created on the first :meth:`add`)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / REGISTRY_NAME
        self._versions: list[ModelVersion] = []
        self._current: str | None = None
        self._read()

    @classmethod
    def for_label_dir(cls, label_dir: str | Path) -> ModelVersions:
        return cls(Path(label_dir) / MODELS_DIR_NAME)

    # --- queries ------------------------------------------------------------------------------

    def list(self) -> list[ModelVersion]:
        return list(self._versions)

    def __len__(self) -> int:
        return len(self._versions)

    def get(self, version_id: str) -> ModelVersion:
        for v in self._versions:
            if v.id == version_id:
                return v
        raise KeyError(f"no model version {version_id!r} in {self.path}")

    def file_of(self, version: ModelVersion | str) -> Path:
        version = self.get(version) if isinstance(version, str) else version
        return self.folder / version.file

    def version_of_file(self, path: str | Path | None) -> ModelVersion | None:
        """The version stored at ``path``, if it is one of ours."""
        if path is None:
            return None
        path = Path(path).resolve()
        return next((v for v in self._versions if self.file_of(v).resolve() == path), None)

    def next_id(self) -> str:
        """The id :meth:`add` will give the next version."""
        return f"v{self._next_number()}"

    @property
    def current(self) -> str | None:
        """The version the project uses, or None for the bundled default model."""
        return self._current

    def current_file(self) -> Path | None:
        return self.file_of(self._current) if self._current is not None else None

    # --- changes ------------------------------------------------------------------------------

    def set_current(self, version_id: str | None) -> None:
        if version_id is not None:
            self.get(version_id)  # raises for an unknown id
        self._current = version_id
        self._write()

    def add(self, model_file: str | Path, report: dict, parent: str | None) -> ModelVersion:
        """Move ``model_file`` in as the next version, described by a fine-tune report
        (``FinetuneReport.to_dict()``), and record it. The registry is written before the
        source file is removed, so a failure leaves the new model where it was."""
        model_file = Path(model_file)
        number = self._next_number()
        version = ModelVersion(
            id=f"v{number}",
            file=f"v{number}.pt",
            parent=parent,
            created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            train_names=[str(n) for n in report.get("train_names", [])],
            holdout_names=[str(n) for n in report.get("holdout_names", [])],
            before=dict(report.get("before") or {}),
            after=dict(report.get("after") or {}),
            steps=int(report.get("steps", 0)),
            class_names=[str(n) for n in report.get("class_names", [])],
        )
        target = self.folder / version.file
        with model_file.open("rb") as src, atomic_write(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        self._versions.append(version)
        try:
            self._write()
        except OSError:
            self._versions.pop()
            target.unlink(missing_ok=True)
            raise
        model_file.unlink(missing_ok=True)
        return version

    # --- storage ------------------------------------------------------------------------------

    def _next_number(self) -> int:
        used = [int(m.group(1)) for v in self._versions if (m := _ID.match(v.id))]
        if self.folder.is_dir():  # files whose entry was lost are never overwritten
            used += [int(m.group(1)) for p in self.folder.glob("v*.pt") if (m := _ID.match(p.stem))]
        return max(used, default=0) + 1

    def _read(self) -> None:
        if not self.path.exists():
            return
        try:
            data = load_json(self.path)  # bounded nesting: a hostile file is "damaged"
        except (OSError, ValueError) as exc:
            raise self._damaged(exc) from exc
        try:
            if data.get("format") != REGISTRY_FORMAT:
                raise ValueError(f"not a model version list (format {data.get('format')!r})")
            versions = [ModelVersion(**entry) for entry in data["versions"]]
            for v in versions:
                if not _ID.match(v.id) or Path(v.file).name != v.file:
                    raise ValueError(f"bad version entry {v.id!r} -> {v.file!r}")
            current = data.get("current")
            if current is not None and current not in {v.id for v in versions}:
                raise ValueError(f"the current version {current!r} is not listed")
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise self._damaged(exc) from exc
        self._versions = versions
        self._current = current

    def _damaged(self, exc: Exception) -> VersionRegistryError:
        return VersionRegistryError(
            f"The list of this project's model versions ({self.path}) is damaged: {exc}. The "
            f"model files in {self.folder} are untouched; repair or rename versions.json to "
            f"use and fine-tune models for this folder again."
        )

    def _write(self) -> None:
        data = {
            "format": REGISTRY_FORMAT,
            "version": REGISTRY_VERSION,
            "current": self._current,
            "versions": [asdict(v) for v in self._versions],
        }
        atomic_write_text(self.path, json.dumps(data, indent=1) + "\n")

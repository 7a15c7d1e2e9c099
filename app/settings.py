"""What the app remembers between runs (QSettings): recent folders and videos, the model, and
the last session (folder or video, image, view, tool, brush, class, overlay), so a restart, or
a crash, comes back to exactly where the user was."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore

from srcrm.base.package_data import resource_dir

ORGANIZATION = "SRCRM"
APPLICATION = "SRCRM Studio"
MAX_RECENT = 10
SAMPLES_DIR = resource_dir() / "samples"
SAMPLE_IMAGE = SAMPLES_DIR / "camvid_0016E5_08085.jpg"


@dataclass(frozen=True)
class Recent:
    """An entry of Open Recent: a path and how it opens ("folder" or "video")."""

    path: str
    kind: str = "folder"


class AppSettings:
    """``path`` set: an INI file there (tests, portable installs); else the platform's place."""

    def __init__(self, path: str | os.PathLike | None = None):
        if path is not None:
            self.qsettings = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat)
            self.data_dir = Path(path).resolve().parent / "data"
        else:
            self.qsettings = QtCore.QSettings(ORGANIZATION, APPLICATION)
            loc = QtCore.QStandardPaths.writableLocation(
                QtCore.QStandardPaths.StandardLocation.AppDataLocation
            )
            self.data_dir = Path(loc) if loc else Path.home() / ".srcrm-studio"

    def _get(self, key: str, default=None):
        return self.qsettings.value(key, default)

    def _set(self, key: str, value) -> None:
        self.qsettings.setValue(key, value)
        self.qsettings.sync()

    # --- where labels go ----------------------------------------------------------------------

    def label_dir_for(self, folder: Path) -> Path | None:
        """None for the default ``<folder>/.srcrm``; a folder under the app's data folder for
        the bundled samples and for folders the user cannot write to."""
        folder = Path(folder).resolve()
        if folder != SAMPLES_DIR.resolve() and os.access(folder, os.W_OK):
            existing = folder / ".srcrm"
            if not existing.exists() or os.access(existing, os.W_OK):
                return None
        digest = hashlib.sha1(str(folder).encode()).hexdigest()[:10]
        return self.data_dir / "labels" / f"{folder.name}-{digest}"

    # --- recent folders and videos ------------------------------------------------------------

    def recent(self) -> list[Recent]:
        """Newest first. (A plain string is a folder, as earlier versions kept them.)"""
        raw = self._get("recent/folders", "[]")
        try:
            items = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        except ValueError:
            items = []
        out = []
        for item in items:
            if isinstance(item, str):
                out.append(Recent(item))
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                out.append(Recent(item["path"], "video" if item.get("kind") == "video" else "folder"))
        return out[:MAX_RECENT]

    def add_recent(self, path: str | Path, kind: str = "folder") -> None:
        entry = Recent(str(Path(path).resolve()), kind)
        self._write_recent([entry] + [r for r in self.recent() if r.path != entry.path])

    def forget_recent(self, path: str) -> None:
        self._write_recent([r for r in self.recent() if r.path != path])

    def clear_recent(self) -> None:
        self._write_recent([])

    def _write_recent(self, items: list[Recent]) -> None:
        entries = [{"path": r.path, "kind": r.kind} for r in items[:MAX_RECENT]]
        self._set("recent/folders", json.dumps(entries))

    # --- where exports go ---------------------------------------------------------------------

    def last_export_dir(self) -> Path | None:
        value = self._get("export/last_dir", "")
        return Path(str(value)) if value else None

    def set_last_export_dir(self, folder: Path) -> None:
        self._set("export/last_dir", str(folder))

    # --- session ------------------------------------------------------------------------------

    def session(self) -> dict:
        raw = self._get("session/state", "")
        try:
            data = json.loads(raw) if raw else {}
        except (TypeError, ValueError):
            data = {}
        return data if isinstance(data, dict) else {}

    def save_session(self, data: dict) -> None:
        self._set("session/state", json.dumps(data))

    # --- model and window ---------------------------------------------------------------------

    def model_path(self) -> str | None:
        value = self._get("model/path", "")
        return str(value) if value else None

    def set_model_path(self, path: str | None) -> None:
        self._set("model/path", path or "")

    def device(self) -> str:
        value = str(self._get("model/device", "auto"))
        return value if value in ("auto", "cpu") else "auto"

    def set_device(self, device: str) -> None:
        self._set("model/device", device)

    def auto_prelabel(self) -> bool:
        return str(self._get("model/auto_prelabel", "true")).lower() == "true"

    def set_auto_prelabel(self, on: bool) -> None:
        self._set("model/auto_prelabel", "true" if on else "false")

    def learn_every(self) -> int | None:
        """Learn-as-you-go's K, as the person chose it (None: the engine's default)."""
        try:
            every = int(self._get("learn/every", 0))
        except (TypeError, ValueError):
            return None
        return every if every > 0 else None

    def set_learn_every(self, every: int) -> None:
        self._set("learn/every", int(every))

    def window_state(self) -> tuple[QtCore.QByteArray | None, QtCore.QByteArray | None]:
        return self._get("window/geometry"), self._get("window/state")

    def save_window_state(self, geometry: QtCore.QByteArray, state: QtCore.QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self._set("window/state", state)

"""A folder of images and the labels saved beside them.

Where labels live: ``<folder>/.srcrm/`` (``LABEL_DIR_NAME``), one pair of files per image:

* ``NAME.png``: the label map, a lossless single-channel PNG of class ids (the ignore index
  marks unlabelled pixels);
* ``NAME.json``: a small sidecar (image name and size, state, classes and colours, ignore
  index, model, time, and the SHA-1 of the label PNG it describes);
* ``NAME.confidence.png``: the model's top-class probability, 0..255 (only after pre-labelling);

plus ``project.json`` (the project's class table and the last image open). ``NAME`` is the image
name without its extension (with it, when two images share a stem). A hidden subfolder never
collides with a dataset's own ``labels/`` or ``masks/`` folder and never shows up as images; a
folder that cannot be written (a read-only share, the bundled samples) gets its labels under the
app's data folder instead (the caller passes ``label_dir``).

Every file is written atomically (temporary file, fsync, ``os.replace``): a crash or a kill at
any moment leaves the previous version or the new one, never a broken file. The label PNG is
written before its sidecar; if a crash falls between the two, the sidecar's hash no longer
matches and the image is taken as edited by hand, so a pre-label run will not overwrite it
without asking.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from srcrm.io import ImageReadError, atomic_write_bytes, atomic_write_text, read_image, read_label_png
from srcrm.natural_sort import natural_key
from srcrm.suffixes import IMAGE_SUFFIXES

from .classes import ClassTable
from .events import Event
from .label_document import ImageState, LabelDocument

LABEL_DIR_NAME = ".srcrm"
SIDECAR_FORMAT = "srcrm-studio-labels"
SIDECAR_VERSION = 1


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def list_images(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_file() and is_image_file(p)),
                  key=lambda p: natural_key(p.name))


@dataclass
class ImageEntry:
    path: Path
    state: ImageState = ImageState.NEW


@dataclass
class Snapshot:
    """What a save writes, copied on the GUI thread so a background writer can take it."""

    image_path: Path
    width: int
    height: int
    labels: np.ndarray
    confidence: np.ndarray | None
    write_confidence: bool
    state: ImageState
    model: str | None
    classes: dict


class Project:
    """Events: ``entry_changed(index)`` when an image's state changes."""

    def __init__(self, folder: str | Path, label_dir: str | Path | None = None,
                 images: list[Path] | None = None):
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise FileNotFoundError(f"{self.folder}: no such folder")
        self.label_dir = Path(label_dir) if label_dir is not None else self.folder / LABEL_DIR_NAME
        paths = list_images(self.folder) if images is None else [Path(p).resolve() for p in images]
        stems: dict[str, int] = {}
        for p in paths:
            stems[p.stem] = stems.get(p.stem, 0) + 1
        self._shared_stems = {s for s, n in stems.items() if n > 1}
        self.entries = [ImageEntry(p, self._read_state(p)) for p in paths]
        self.classes = ClassTable.default()
        # Who chose the classes: "default" (nobody yet: a model may bring its own), "model",
        # "user" (edited), "file" (an older project file).
        self.classes_source = "default"
        self.model: str | None = None
        self.last_image: str | None = None
        self._read_project_file()
        self._remove_stale_temp_files()
        self._saved_confidence: dict[Path, object] = {}
        self.entry_changed = Event()

    # --- paths --------------------------------------------------------------------------------

    def _base(self, image: Path) -> str:
        return image.name if image.stem in self._shared_stems else image.stem

    def label_path(self, image: Path) -> Path:
        return self.label_dir / f"{self._base(image)}.png"

    def sidecar_path(self, image: Path) -> Path:
        return self.label_dir / f"{self._base(image)}.json"

    def confidence_path(self, image: Path) -> Path:
        return self.label_dir / f"{self._base(image)}.confidence.png"

    @property
    def project_file(self) -> Path:
        return self.label_dir / "project.json"

    # --- listing ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def index_of(self, path: str | Path) -> int | None:
        path = Path(path).resolve()
        for i, e in enumerate(self.entries):
            if e.path == path:
                return i
        return None

    def counts(self) -> dict[ImageState, int]:
        out = {s: 0 for s in ImageState}
        for e in self.entries:
            out[e.state] += 1
        return out

    def set_state(self, index: int, state: ImageState) -> None:
        entry = self.entries[index]
        if entry.state != state:
            entry.state = ImageState(state)
            self.entry_changed.emit(index)

    def _read_sidecar(self, image: Path) -> dict | None:
        try:
            data = json.loads(self.sidecar_path(image).read_text())
            return data if isinstance(data, dict) else None
        except (OSError, ValueError):
            return None

    def _read_state(self, image: Path, verify: bool = False) -> ImageState:
        """The state in the sidecar, or EDITED (human work assumed) when the label PNG has no
        valid sidecar or is newer than it (a crash between the two writes). Listing a folder
        only compares modification times; ``verify`` also checks the PNG's hash."""
        label = self.label_path(image)
        if not label.is_file():
            return ImageState.NEW
        side = self._read_sidecar(image)
        try:
            state = ImageState(side["state"])
        except (TypeError, KeyError, ValueError):
            return ImageState.EDITED  # a label map with no (valid) sidecar: assume human work
        if state in (ImageState.NEW, ImageState.PRELABELLED):
            try:
                newer = label.stat().st_mtime_ns > self.sidecar_path(image).stat().st_mtime_ns
            except OSError:
                newer = True
            if newer or (verify and side.get("labels_sha1")
                         and _sha1(label.read_bytes()) != side["labels_sha1"]):
                return ImageState.EDITED
        return state

    def _remove_stale_temp_files(self, min_age_s: float = 600.0) -> None:
        """Temporary files a killed save left behind (the saved files themselves are intact)."""
        if not self.label_dir.is_dir():
            return
        now = time.time()
        for p in self.label_dir.glob(".*.tmp"):
            try:
                if now - p.stat().st_mtime > min_age_s:
                    p.unlink()
            except OSError:
                pass

    # --- project file -------------------------------------------------------------------------

    def _read_project_file(self) -> None:
        try:
            data = json.loads(self.project_file.read_text())
        except (OSError, ValueError):
            return
        try:
            self.classes = ClassTable.from_dict(data)
            self.classes_source = str(data.get("classes_source", "file"))
        except (KeyError, TypeError, ValueError):
            pass
        self.model = data.get("model")
        self.last_image = data.get("last_image")

    def save_project_file(self) -> None:
        data = self.classes.to_dict()
        data.update(classes_source=self.classes_source, model=self.model, last_image=self.last_image)
        atomic_write_text(self.project_file, json.dumps(data, indent=2) + "\n")

    # --- documents ----------------------------------------------------------------------------

    def load_document(self, index: int) -> tuple[LabelDocument, list[str]]:
        """Read an image and its saved labels. Raises :class:`ImageReadError` for a bad image;
        a bad label file is moved aside (never deleted) and reported in the warnings."""
        entry = self.entries[index]
        image = read_image(entry.path)
        h, w = image.shape[:2]
        warnings: list[str] = []
        labels = confidence = None
        state = ImageState.NEW
        model = None
        label_path = self.label_path(entry.path)
        if label_path.is_file():
            try:
                labels = read_label_png(label_path)
                if labels.shape != (h, w):
                    aside = self._move_aside(label_path, f"wrong-size-{labels.shape[1]}x{labels.shape[0]}")
                    warnings.append(f"The saved labels for {entry.path.name} are "
                                    f"{labels.shape[1]}x{labels.shape[0]} but the image is {w}x{h}; "
                                    f"they were kept as {aside.name} and the image opens unlabelled.")
                    labels = None
            except ImageReadError as exc:
                aside = self._move_aside(label_path, "unreadable")
                warnings.append(f"The saved labels for {entry.path.name} could not be read ({exc}); "
                                f"the file was kept as {aside.name} and the image opens unlabelled.")
                labels = None
        if labels is not None:
            state = self._read_state(entry.path, verify=True)
            side = self._read_sidecar(entry.path) or {}
            model = side.get("model")
            confidence = self._read_confidence(entry.path, (h, w))
        doc = LabelDocument(image, labels, classes=self.classes, confidence=confidence,
                            state=state, path=entry.path, model=model)
        self._saved_confidence[entry.path] = confidence
        self.set_state(index, doc.state)
        self.last_image = entry.path.name
        return doc, warnings

    def _read_confidence(self, image: Path, shape: tuple[int, int]) -> np.ndarray | None:
        path = self.confidence_path(image)
        if not path.is_file():
            return None
        try:
            conf = read_label_png(path)
        except ImageReadError:
            return None
        return conf.astype(np.float32) / 255.0 if conf.shape == shape else None

    def _move_aside(self, path: Path, why: str) -> Path:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.stem}.{why}-{stamp}{path.suffix}")
        path.replace(aside)
        path.with_suffix(".json").unlink(missing_ok=True)  # its sidecar described the bad file
        return aside

    # --- saving -------------------------------------------------------------------------------

    def snapshot(self, doc: LabelDocument) -> Snapshot:
        """Copy what needs saving (GUI thread); :meth:`write_snapshot` may run on any thread."""
        assert doc.path is not None
        write_conf = self._saved_confidence.get(doc.path) is not doc.confidence
        self._saved_confidence[doc.path] = doc.confidence
        return Snapshot(doc.path, doc.width, doc.height, doc.labels.copy(), doc.confidence,
                        write_conf, doc.state, doc.model, self.classes.to_dict())

    def write_snapshot(self, snap: Snapshot) -> None:
        label_bytes = _encode_png(snap.labels)
        atomic_write_bytes(self.label_path(snap.image_path), label_bytes)
        conf_path = self.confidence_path(snap.image_path)
        if snap.write_confidence:
            if snap.confidence is None:
                conf_path.unlink(missing_ok=True)
            else:
                conf8 = np.clip(snap.confidence * 255.0 + 0.5, 0, 255).astype(np.uint8)
                atomic_write_bytes(conf_path, _encode_png(conf8))
        sidecar = {
            "format": SIDECAR_FORMAT,
            "version": SIDECAR_VERSION,
            "image": snap.image_path.name,
            "width": snap.width,
            "height": snap.height,
            "labels": self.label_path(snap.image_path).name,
            "labels_sha1": _sha1(label_bytes),
            "confidence": conf_path.name if snap.confidence is not None else None,
            "state": snap.state.value,
            "model": snap.model,
            "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            **snap.classes,
        }
        atomic_write_text(self.sidecar_path(snap.image_path), json.dumps(sidecar, indent=1) + "\n")

    def save_document(self, doc: LabelDocument) -> None:
        """Save synchronously (the autosaver does the same on its own thread)."""
        self.write_snapshot(self.snapshot(doc))

    def prediction_snapshot(self, index: int, labels: np.ndarray, confidence: np.ndarray | None,
                            model: str | None) -> Snapshot:
        """A snapshot for an image that is not open (whole-folder pre-labelling)."""
        entry = self.entries[index]
        h, w = labels.shape
        self.set_state(index, ImageState.PRELABELLED)
        return Snapshot(entry.path, w, h, labels, confidence, True, ImageState.PRELABELLED,
                        model, self.classes.to_dict())


def _encode_png(array: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(array), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OSError("could not encode a PNG")
    return buf.tobytes()


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()

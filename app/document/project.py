"""A folder of images and the labels saved beside them.

Where labels live: ``<folder>/.srcrm/`` (``LABEL_DIR_NAME``), one pair of files per image:

* ``NAME.png``: the label map, a lossless single-channel PNG of class ids (the ignore index
  marks unlabelled pixels);
* ``NAME.json``: a small sidecar (image name and size, state, classes and colours, ignore
  index, model, time, and the SHA-1 of the label PNG it describes);
* ``NAME.confidence.png``: the model's top-class probability, 0..255 (only after pre-labelling);
* ``NAME.edited.png``: 255 where a person wrote the label (only when someone did), so zoomed
  re-inference spares those pixels after a restart too;
* ``NAME.journal``: the strokes finished since the last save (:mod:`app.document.journal`),
  replayed on open, so that a kill loses at most the stroke in progress;

plus ``project.json`` (the project's class table and the last image open). ``NAME`` is the image
name without its extension (with it, when two images share a stem). A hidden subfolder never
collides with a dataset's own ``labels/`` or ``masks/`` folder and never shows up as images; a
folder that cannot be written (a read-only share, the bundled samples) gets its labels under the
app's data folder instead (the caller passes ``label_dir``). Labels already in such a folder's
own ``.srcrm`` are still read (never re-pre-labelled); edits to them are saved under
``label_dir``, and opening the image says so.

A save that fails (a full disk) keeps its snapshot in memory: reopening the image shows the
unsaved labels, not the older ones on disk, and :meth:`Project.unsaved` names what is at risk.

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
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from srcrm.base.io import (
    ImageReadError,
    atomic_write_bytes,
    atomic_write_text,
    read_image,
    read_label_png,
)
from srcrm.base.jsonio import JsonError, load_json
from srcrm.base.natural_sort import natural_key
from srcrm.base.suffixes import IMAGE_SUFFIXES

from .classes import ClassTable
from .events import Event
from .file_stamp import FileStamp, LabelsChangedOnDisk, changed_since
from .journal import StrokeJournal
from .label_document import ImageState, LabelDocument

LABEL_DIR_NAME = ".srcrm"
SIDECAR_FORMAT = "srcrm-studio-labels"
SIDECAR_VERSION = 1


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def list_images(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and is_image_file(p)), key=lambda p: natural_key(p.name)
    )


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
    # The journal's end when an open document was copied: a save drops the records before it.
    # None: labels for an image not open (a pre-label) that replace whatever the journal holds.
    journal_mark: int | None = None
    human_edits: np.ndarray | None = None  # bool: pixels a person wrote (None: none)


class Project:
    """Events: ``entry_changed(index)`` when an image's state changes."""

    def __init__(
        self, folder: str | Path, label_dir: str | Path | None = None, images: list[Path] | None = None
    ):
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise FileNotFoundError(f"{self.folder}: no such folder")
        self.label_dir = Path(label_dir) if label_dir is not None else self.folder / LABEL_DIR_NAME
        own = self.folder / LABEL_DIR_NAME
        # The folder's own labels, when they cannot be written: read, and edited elsewhere.
        self.read_only_dir = own if own.is_dir() and own != self.label_dir else None
        self._journals: dict[Path, StrokeJournal] = {}
        self._unsaved: dict[Path, tuple[Snapshot, str]] = {}
        # Each opened image's label file as last read or written (None: there was none): a
        # save that finds it changed by another program keeps both.
        self._stamps: dict[Path, FileStamp | None] = {}
        self._lock = threading.Lock()
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

    def journal_path(self, image: Path) -> Path:
        return self.label_dir / f"{self._base(image)}.journal"

    def _existing(self, path: Path) -> Path:
        """``path`` (under ``label_dir``), or its twin in the read-only folder when only that
        one exists."""
        if self.read_only_dir is not None and not path.exists():
            twin = self.read_only_dir / path.name
            if twin.exists():
                return twin
        return path

    def sidecar_path(self, image: Path) -> Path:
        return self.label_dir / f"{self._base(image)}.json"

    def confidence_path(self, image: Path) -> Path:
        return self.label_dir / f"{self._base(image)}.confidence.png"

    def edited_path(self, image: Path) -> Path:
        return self.label_dir / f"{self._base(image)}.edited.png"

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
        data = _read_json(self._existing(self.sidecar_path(image)))
        return data if isinstance(data, dict) else None

    def _read_state(self, image: Path, verify: bool = False) -> ImageState:
        """The state in the sidecar, or EDITED (human work assumed) when the label PNG has no
        valid sidecar or is newer than it (a crash between the two writes). Listing a folder
        only compares modification times; ``verify`` also checks the PNG's hash."""
        label = self._existing(self.label_path(image))
        if self.journal_path(image).is_file():
            return ImageState.EDITED  # strokes left from a crash: human work not yet saved
        if not label.is_file():
            return ImageState.NEW
        side = self._read_sidecar(image) or {}
        try:
            state = ImageState(side["state"])
        except (TypeError, KeyError, ValueError):
            return ImageState.EDITED  # a label map with no (valid) sidecar: assume human work
        if state in (ImageState.NEW, ImageState.PRELABELLED):
            try:
                sidecar = self._existing(self.sidecar_path(image))
                newer = label.stat().st_mtime_ns > sidecar.stat().st_mtime_ns
            except OSError:
                newer = True
            if newer or (
                verify and side.get("labels_sha1") and _sha1(label.read_bytes()) != side["labels_sha1"]
            ):
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
        data = _read_json(self._existing(self.project_file))
        if not isinstance(data, dict):
            return
        try:
            self.classes = ClassTable.from_dict(data)
            self.classes_source = str(data.get("classes_source", "file"))
        except (KeyError, TypeError, ValueError):
            pass
        model, last = data.get("model"), data.get("last_image")
        self.model = model if isinstance(model, str) else None
        self.last_image = last if isinstance(last, str) else None

    def save_project_file(self) -> None:
        data = self.classes.to_dict()
        data.update(classes_source=self.classes_source, model=self.model, last_image=self.last_image)
        atomic_write_text(self.project_file, json.dumps(data, indent=2) + "\n")

    # --- documents ----------------------------------------------------------------------------

    def load_document(self, index: int) -> tuple[LabelDocument, list[str]]:
        """Read an image and its labels: the unsaved ones kept after a failed save, else the
        saved ones with the journal's strokes replayed over them. Raises
        :class:`ImageReadError` for a bad image (one that declares too many pixels, too); a
        bad label file is moved aside (never deleted) and reported in the warnings."""
        entry = self.entries[index]
        image = read_image(entry.path)
        self.retry_unsaved([entry.path])  # the disk may have room again
        with self._lock:
            kept = self._unsaved.get(entry.path)
        if kept is not None and kept[0].labels.shape == image.shape[:2]:
            doc, warnings = self._unsaved_document(image, *kept)
        else:
            doc, warnings = self._saved_document(image, entry.path)
        journal = self.journal(entry.path)
        doc.edited.connect(lambda step: journal.record(doc.labels, step.rect))
        self.set_state(index, doc.state)
        self.last_image = entry.path.name
        return doc, warnings

    def _unsaved_document(
        self, image: np.ndarray, snap: Snapshot, error: str
    ) -> tuple[LabelDocument, list[str]]:
        doc = LabelDocument(
            image,
            snap.labels.copy(),
            classes=self.classes,
            confidence=snap.confidence,
            state=snap.state,
            path=snap.image_path,
            model=snap.model,
        )
        warning = (
            f"The labels of {snap.image_path.name} are not saved yet ({error}); they "
            f"are kept in memory and saved again with your next change or Ctrl+S."
        )
        return doc, [warning]

    def _saved_document(self, image: np.ndarray, path: Path) -> tuple[LabelDocument, list[str]]:
        h, w = image.shape[:2]
        warnings: list[str] = []
        labels = confidence = None
        state = ImageState.NEW
        model = None
        label_path = self._existing(self.label_path(path))
        read_only = label_path.parent != self.label_dir
        if label_path.is_file():
            try:
                labels = _read_class_ids(label_path)
                if labels.shape != (h, w):
                    size = f"{labels.shape[1]}x{labels.shape[0]}"
                    warnings.append(
                        self._set_aside(
                            label_path,
                            f"wrong-size-{size}",
                            path,
                            f"they are {size} but the image is {w}x{h}",
                        )
                    )
                    labels = None
            except ValueError as exc:  # srcrm's ImageReadError is one, as is any refusal
                warnings.append(self._set_aside(label_path, "unreadable", path, str(exc)))
                labels = None
        if labels is not None:
            state = self._read_state(path, verify=True)
            side = self._read_sidecar(path) or {}
            model = side.get("model")
            confidence = self._read_confidence(path, (h, w))
            if read_only:
                warnings.append(
                    f"The labels of {path.name} are read from {label_path.parent}, "
                    f"which cannot be written; your edits are saved to "
                    f"{self.label_dir} instead."
                )
        if not read_only:  # else nothing is saved under label_dir yet: the first save writes all
            self._saved_confidence[path] = confidence
        with self._lock:
            self._stamps[path] = FileStamp.of(self.label_path(path))
        recovery = self.journal(path).recover(labels, (h, w), self.classes.ignore_index)
        warnings += recovery.notices(path.name)
        if recovery.labels is not None:
            labels, state = recovery.labels, ImageState.EDITED if state != ImageState.DONE else state
        doc = LabelDocument(
            image, labels, classes=self.classes, confidence=confidence, state=state, path=path, model=model
        )
        if labels is not None:
            doc.human_edits[...] = self._read_edited(path, (h, w))
        if recovery.labels is not None:
            try:  # the recovered strokes go into the label file, and the journal is emptied
                self.write_snapshot(self.snapshot(doc))
            except OSError:
                pass  # kept in memory (unsaved()) and still in the journal
        return doc, warnings

    def _set_aside(self, label_path: Path, why: str, image: Path, what: str) -> str:
        """Move a bad label file aside (only under ``label_dir``: a read-only one stays) and
        say so."""
        if label_path.parent != self.label_dir:
            return (
                f"The labels of {image.name} in {label_path.parent} could not be read "
                f"({what}); the image opens unlabelled."
            )
        aside = self._move_aside(label_path, why)
        return (
            f"The saved labels for {image.name} could not be read ({what}); the file was "
            f"kept as {aside.name} and the image opens unlabelled."
        )

    # --- the stroke journal -------------------------------------------------------------------

    def journal(self, image: Path) -> StrokeJournal:
        with self._lock:
            journal = self._journals.get(image)
            if journal is None:
                journal = self._journals[image] = StrokeJournal(self.journal_path(image))
            return journal

    def _read_confidence(self, image: Path, shape: tuple[int, int]) -> np.ndarray | None:
        path = self.confidence_path(image)
        if not path.is_file():
            return None
        try:
            conf = read_label_png(path)
        except ValueError:
            return None
        return conf.astype(np.float32) / 255.0 if conf.shape == shape else None

    def _read_edited(self, image: Path, shape: tuple[int, int]) -> np.ndarray:
        path = self.edited_path(image)
        try:
            mask = read_label_png(path) if path.is_file() else None
        except ValueError:
            mask = None
        return mask > 0 if mask is not None and mask.shape == shape else np.zeros(shape, bool)

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
        return Snapshot(
            doc.path,
            doc.width,
            doc.height,
            doc.labels.copy(),
            doc.confidence,
            write_conf,
            doc.state,
            doc.model,
            self.classes.to_dict(),
            self.journal(doc.path).mark(),
            doc.human_edits.copy() if doc.human_edits.any() else None,
        )

    def write_snapshot(self, snap: Snapshot) -> None:
        """Write the label map, confidence and sidecar; then drop the journal's records the
        snapshot holds. A failure (OSError) keeps the snapshot in memory (see
        :meth:`unsaved`) and is raised for the caller to report. A label file another program
        rewrote since it was opened is left alone: the labels go beside it, and
        :class:`LabelsChangedOnDisk` says where."""
        try:
            conflict = self._write_files(snap)
        except OSError as exc:
            with self._lock:
                self._unsaved[snap.image_path] = (snap, exc.strerror or str(exc))
            raise
        with self._lock:
            self._unsaved.pop(snap.image_path, None)
        journal = self.journal(snap.image_path)
        if snap.journal_mark is None:
            journal.discard()
        else:
            journal.drop_through(snap.journal_mark)
        if conflict is not None:
            raise conflict

    def unsaved(self) -> list[Path]:
        """Images whose last save failed: their newest labels exist only in memory."""
        with self._lock:
            return list(self._unsaved)

    def retry_unsaved(self, images: list[Path] | None = None) -> list[Path]:
        """Write the kept snapshots again (of ``images``, or all); returns those still unsaved."""
        with self._lock:
            kept = [snap for path, (snap, _) in self._unsaved.items() if images is None or path in images]
        for snap in kept:
            try:
                self.write_snapshot(snap)
            except OSError:
                pass  # still failing: it stays in memory and in unsaved()
        return self.unsaved()

    def unsaved_reason(self) -> str:
        """Why the last of the failed saves failed (e.g. "No space left on device")."""
        with self._lock:
            return next(reversed(self._unsaved.values()))[1] if self._unsaved else ""

    def _write_files(self, snap: Snapshot) -> LabelsChangedOnDisk | None:
        label_bytes = _encode_png(snap.labels)
        label_path = self.label_path(snap.image_path)
        with self._lock:
            known = snap.image_path in self._stamps
            stamp = self._stamps.get(snap.image_path)
        if known and changed_since(stamp, label_path):  # the stamp stays: so do later saves
            kept = label_path.with_name(f"{label_path.stem}.conflict.png")
            atomic_write_bytes(kept, label_bytes)
            return LabelsChangedOnDisk(snap.image_path, label_path, kept)
        atomic_write_bytes(label_path, label_bytes)
        with self._lock:
            self._stamps[snap.image_path] = FileStamp.of(label_path, label_bytes)
        conf_path = self.confidence_path(snap.image_path)
        if snap.write_confidence:
            if snap.confidence is None:
                conf_path.unlink(missing_ok=True)
            else:
                conf8 = np.clip(snap.confidence * 255.0 + 0.5, 0, 255).astype(np.uint8)
                atomic_write_bytes(conf_path, _encode_png(conf8))
        edited_path = self.edited_path(snap.image_path)
        if snap.human_edits is None:
            edited_path.unlink(missing_ok=True)
        else:
            atomic_write_bytes(edited_path, _encode_png(snap.human_edits.astype(np.uint8) * 255))
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
            "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            **snap.classes,
        }
        atomic_write_text(self.sidecar_path(snap.image_path), json.dumps(sidecar, indent=1) + "\n")
        return None

    def save_document(self, doc: LabelDocument) -> None:
        """Save synchronously (the autosaver does the same on its own thread)."""
        self.write_snapshot(self.snapshot(doc))

    def prediction_snapshot(
        self, index: int, labels: np.ndarray, confidence: np.ndarray | None, model: str | None
    ) -> Snapshot:
        """A snapshot for an image that is not open (whole-folder pre-labelling)."""
        entry = self.entries[index]
        h, w = labels.shape
        self.set_state(index, ImageState.PRELABELLED)
        return Snapshot(
            entry.path, w, h, labels, confidence, True, ImageState.PRELABELLED, model, self.classes.to_dict()
        )


def _read_class_ids(path: Path) -> np.ndarray:
    """A label PNG as class ids. One holding values past 255 (a 16-bit PNG) is refused, never
    wrapped around into other classes (300 read as class 44)."""
    labels = read_label_png(path)
    if labels.dtype != np.uint8:
        top = int(labels.max()) if labels.size else 0
        if top > 255 or (labels.size and int(labels.min()) < 0):
            raise ImageReadError(
                f"{path.name} holds label values up to {top}, more than the 256 class ids a label map has"
            )
        labels = labels.astype(np.uint8)
    return labels


def _encode_png(array: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(array), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OSError("could not encode a PNG")
    return buf.tobytes()


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _read_json(path: Path):
    """A JSON file's content, or None when it is missing, unreadable, not JSON, or too large
    or deeply nested to parse (a hostile file must not abort the app)."""
    try:
        return load_json(path)
    except JsonError:
        return None

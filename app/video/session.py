"""An open video as the app sees it, without Qt: its frames, the label maps on disk, the class
table, the frame on screen, and the label maps on their way to disk.

Where things live: a video ``clip.mp4`` (or an image-sequence folder ``clip/``) keeps its labels
beside it in ``.srcrm/clip.mp4.frames/`` (``.srcrm/clip.frames/``): one ``NNNNNN.png`` per frame
and ``store.json`` (:class:`~srcrm.video.label_store.FrameLabelStore`), plus this app's
``studio.json`` with the class table and the last frame viewed, and a ``NNNNNN.journal`` of the
strokes on a frame whose label map is not on disk yet (:mod:`app.document.journal`). A folder
the user cannot write to (the bundled samples) gets them under the app's data folder, as for
images.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from srcrm.base.io import atomic_write_text
from srcrm.base.jsonio import load_json
from srcrm.video import FrameLabelStore, FrameSource, open_source

from ..document.classes import ClassTable
from ..document.journal import Recovery, StrokeJournal
from ..document.label_document import ImageState, LabelDocument
from ..document.project import LABEL_DIR_NAME

META_FILE = "studio.json"


def store_folder(video: Path, label_root: Path | None) -> Path:
    """``<label root>/<video file or folder name>.frames``; the root defaults to the
    ``.srcrm`` folder beside the video."""
    video = Path(video).resolve()
    root = label_root if label_root is not None else video.parent / LABEL_DIR_NAME
    return Path(root) / f"{video.name}.frames"


class PendingWrites:
    """Label maps handed to the background writer and not yet on disk, by frame. Reading a
    frame looks here first, so stepping back to a frame just left never shows older labels;
    a write that failed stays here until it is tried again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._maps: dict[int, tuple[int, np.ndarray]] = {}
        self._failed: set[int] = set()
        self._count = 0

    def add(self, index: int, labels: np.ndarray) -> int:
        with self._lock:
            self._count += 1
            self._maps[index] = (self._count, labels)
            self._failed.discard(index)
            return self._count

    def written(self, index: int, token: int) -> None:
        """The write ``token`` of frame ``index`` reached the disk (any thread)."""
        with self._lock:
            if self._maps.get(index, (None,))[0] == token:
                del self._maps[index]

    def failed(self, index: int, token: int) -> None:
        """The write ``token`` of frame ``index`` failed: it waits for another try."""
        with self._lock:
            if self._maps.get(index, (None,))[0] == token:
                self._failed.add(index)

    def take_failed(self) -> list[tuple[int, np.ndarray]]:
        """The maps whose last write failed (they are no longer marked so)."""
        with self._lock:
            out = [(i, self._maps[i][1]) for i in sorted(self._failed) if i in self._maps]
            self._failed.clear()
            return out

    def get(self, index: int) -> np.ndarray | None:
        with self._lock:
            entry = self._maps.get(index)
            return None if entry is None else entry[1]

    def items(self) -> list[tuple[int, np.ndarray]]:
        with self._lock:
            return [(i, labels) for i, (_, labels) in sorted(self._maps.items())]

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._maps


class VideoSession:
    """A video open for labelling. ``frame`` is the index on screen; ``classes_source`` says
    who chose the classes ("default": nobody yet, so a model may bring its own)."""

    def __init__(
        self,
        source: FrameSource,
        store: FrameLabelStore,
        classes: ClassTable,
        classes_source: str = "default",
        last_frame: int = 0,
        done: set[int] | None = None,
    ):
        self.source = source
        self.store = store
        self.classes = classes
        self.classes_source = classes_source
        self.last_frame = min(max(0, int(last_frame)), max(0, source.frame_count - 1))
        self.frame = -1  # nothing on screen yet
        self.pending = PendingWrites()
        self.labelled: set[int] = set()  # frames known to have labels (for the timeline)
        self.done: set[int] = set(done or ())  # frames a person marked done (kept in studio.json)
        self._journals: dict[int, StrokeJournal] = {}
        self.held = False  # a job works on it: leaving the video leaves it open for the job

    @classmethod
    def open(cls, path: str | Path, label_root: Path | None) -> VideoSession:
        """Open a video file or image folder and its label store. Raises
        :class:`~srcrm.video.VideoReadError` for a video that cannot be decoded and
        :class:`~srcrm.video.LabelStoreError` for labels that do not fit it."""
        source = open_source(Path(path).resolve())
        try:
            store = FrameLabelStore(
                store_folder(source.path, label_root),
                frame_count=source.frame_count,
                size=(source.height, source.width),
            )
            meta = _read_meta(store.folder / META_FILE)
            try:
                classes = ClassTable.from_dict(meta)
                source_of_classes = str(meta.get("classes_source", "file"))
            except (KeyError, TypeError, ValueError):
                classes, source_of_classes = ClassTable.default(), "default"
            last = meta.get("last_frame", 0)
            done = meta.get("done_frames", [])
            return cls(
                source,
                store,
                classes,
                source_of_classes,
                last if isinstance(last, int) else 0,
                {i for i in done if isinstance(i, int) and 0 <= i < source.frame_count}
                if isinstance(done, list)
                else set(),
            )
        except BaseException:
            source.close()
            raise

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def frame_count(self) -> int:
        return self.source.frame_count

    @property
    def label_dir(self) -> Path:
        """The label root the video's ``.frames`` folder sits in (as a folder's ``.srcrm``):
        its fine-tuned model versions are kept there too."""
        return self.store.folder.parent

    def labels(self, index: int) -> np.ndarray | None:
        """Frame ``index``'s labels: the newest, whether still in memory or on disk."""
        pending = self.pending.get(index)
        return pending.copy() if pending is not None else self.store.read(index)

    def state(self, index: int, has_labels: bool) -> ImageState:
        if index in self.done:
            return ImageState.DONE
        if self.store.is_edited(index) or index in self.pending:
            return ImageState.EDITED
        return ImageState.PRELABELLED if has_labels else ImageState.NEW

    def document(self, index: int, image: np.ndarray) -> tuple[LabelDocument, Recovery]:
        """A document for frame ``index`` (its pixels already decoded): the same object the
        canvas and tools edit for an image; and what its journal brought back (strokes made
        after the frame's last write, before the app stopped)."""
        labels = self.labels(index)
        h, w = image.shape[:2]
        recovery = self.journal(index).recover(labels, (h, w), self.classes.ignore_index)
        if recovery.labels is not None:
            labels = recovery.labels
        doc = LabelDocument(
            image,
            labels,
            classes=self.classes,
            state=ImageState.EDITED if recovery.count else self.state(index, labels is not None),
            model=self.store.model,
        )
        if doc.state.has_human_work:
            # The store keeps no per-pixel record of a person's edits: on a frame someone edited,
            # every pixel counts as theirs (zoomed re-inference then changes none of them).
            doc.human_edits[...] = True
        return doc, recovery

    def journal(self, index: int) -> StrokeJournal:
        """Frame ``index``'s stroke journal: each finished edit is on disk at once, before the
        frame's label map (written in the background) is."""
        journal = self._journals.get(index)
        if journal is None:
            journal = self._journals[index] = StrokeJournal(self.store.path(index).with_suffix(".journal"))
        return journal

    def adopt_classes(self, model_classes: ClassTable) -> bool:
        """Take a model's classes if nobody chose this video's yet and no frame has labels."""
        if self.classes_source != "default" or self.store.edited or self.store.labelled():
            return False
        self.classes.replace_with(model_classes.copy())
        self.classes_source = "model"
        return True

    def save_meta(self) -> None:
        data = self.classes.to_dict()
        data.update(
            classes_source=self.classes_source,
            last_frame=max(0, self.frame),
            video=str(self.path),
            done_frames=sorted(self.done),
        )
        atomic_write_text(self.store.folder / META_FILE, json.dumps(data, indent=1) + "\n")

    def close(self) -> None:
        for journal in self._journals.values():
            journal.close()
        self.source.close()


def _read_meta(path: Path) -> dict:
    try:
        data = load_json(path)  # bounded nesting: a hostile file is ignored, never fatal
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

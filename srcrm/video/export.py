"""Export a labelled video: label PNGs, COCO (with its video fields), labelme per frame, and
MP4s of the overlay or of a matte, and a matte as a PNG sequence (hard, or refined by matting).

Each export streams frame by frame (bounded memory), reports ``on_progress(done, total)``,
stops soon when ``should_stop()`` says so, and returns how many frames the output holds.
Outputs are atomic: per-frame files are each written whole; a COCO file or a video appears
only when complete (a cancelled one leaves nothing, and 0 is returned).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from srcrm.base.io import atomic_write_bytes, give_default_mode, write_jpeg, write_png
from srcrm.data.labelsets import LabelSet
from srcrm.formats import coco, labelme
from srcrm.formats.polygons import polygonize
from srcrm.inference.overlay import blend
from srcrm.matting import Cancelled, RefineConfig
from srcrm.video.label_store import FrameLabelStore
from srcrm.video.matte import SteadyMatting
from srcrm.video.source import FrameSource, frames_at

Progress = Callable[[int, int], None] | None
Stop = Callable[[], bool] | None
JPEG_QUALITY = 95
T = TypeVar("T")


class _Cancelled(Exception):
    pass


def export_label_pngs(
    store: FrameLabelStore,
    out_dir: str | os.PathLike,
    frames: Iterable[int] | None = None,
    on_progress: Progress = None,
    should_stop: Stop = None,
) -> int:
    """Copy the label maps to ``out_dir/NNNNNN.png`` (frames without labels are left out)."""
    out_dir = Path(out_dir)
    indices = _labelled(store, frames)
    done = 0
    for done, index in _tracked(indices, on_progress, should_stop, len(indices)):  # noqa: B007 (the count is returned)
        atomic_write_bytes(out_dir / store.path(index).name, store.path(index).read_bytes())
    return done


def export_coco_video(
    store: FrameLabelStore,
    source: FrameSource,
    labelset: LabelSet,
    path: str | os.PathLike,
    frames: Iterable[int] | None = None,
    tolerance: float = 1.0,
    on_progress: Progress = None,
    should_stop: Stop = None,
    images: bool = True,
) -> int:
    """One COCO file for the labelled frames, with a ``videos`` list and, per image,
    ``video_id`` and zero-based ``frame_id``; ``file_name`` is ``VIDEONAME/NNNNNN.jpg``,
    relative to the file. ``images`` writes those JPEGs too. Polygons as
    :mod:`srcrm.formats.coco` writes them, simplified by ``tolerance`` pixels."""
    path = Path(path)
    indices = _labelled(store, frames)
    video = {
        "id": 1,
        "name": source.name,
        "width": source.width,
        "height": source.height,
        "length": source.frame_count,
        "fps": source.fps,
    }
    frame_iter: Iterable[tuple[int, np.ndarray | None]] = (
        frames_at(source, indices) if images else ((i, None) for i in indices)
    )
    out = coco.CocoFile(path, labelset, head={"videos": [video]})
    try:
        for _done, (index, frame) in _tracked(
            frame_iter, on_progress, should_stop, len(indices), raise_on_stop=True
        ):
            labels = store.read(index)
            if labels is None:  # cleared (or spoilt) since it was listed: left out
                continue
            file_name = f"{source.name}/{index:06d}.jpg"
            if frame is not None:
                write_jpeg(path.parent / file_name, frame, JPEG_QUALITY)
            coverage = polygonize(labels, labelset.num_classes, tolerance=tolerance)
            out.add(file_name, coverage, video_id=1, frame_id=index)
    except _Cancelled:
        out.abort()
        return 0
    except BaseException:
        out.abort()
        raise
    out.close()
    return len(out.images)


def export_labelme_frames(
    store: FrameLabelStore,
    source: FrameSource,
    labelset: LabelSet,
    out_dir: str | os.PathLike,
    frames: Iterable[int] | None = None,
    tolerance: float = 1.0,
    on_progress: Progress = None,
    should_stop: Stop = None,
) -> int:
    """``out_dir/NNNNNN.json`` (labelme) beside the frame ``out_dir/NNNNNN.jpg``, for each
    labelled frame; polygons as :mod:`srcrm.formats.labelme` writes them."""
    out_dir = Path(out_dir)
    indices = _labelled(store, frames)
    written = 0
    for _, (index, frame) in _tracked(frames_at(source, indices), on_progress, should_stop, len(indices)):
        labels = store.read(index)
        if labels is None:  # cleared (or spoilt) since it was listed: left out
            continue
        image = out_dir / f"{index:06d}.jpg"
        write_jpeg(image, frame, JPEG_QUALITY)
        labelme.write(out_dir / f"{index:06d}.json", labels, labelset, image, tolerance=tolerance)
        written += 1
    return written


def write_overlay_video(
    source: FrameSource,
    store: FrameLabelStore,
    palette,
    path: str | os.PathLike,
    alpha: float = 0.5,
    frames: Iterable[int] | None = None,
    on_progress: Progress = None,
    should_stop: Stop = None,
) -> int:
    """An MP4 of the frames with the class colours laid over them; frames without labels are
    shown plain."""
    palette = np.asarray(palette, np.uint8)

    def render(index: int, frame: np.ndarray) -> np.ndarray:
        labels = store.read(index)
        return frame if labels is None else blend(frame, labels, palette, alpha)

    return _write_video(source, path, frames, render, True, on_progress, should_stop)


def write_matte_video(
    source: FrameSource,
    store: FrameLabelStore,
    class_ids: Iterable[int],
    path: str | os.PathLike,
    frames: Iterable[int] | None = None,
    on_progress: Progress = None,
    should_stop: Stop = None,
    refine_with: RefineConfig | None = None,
) -> int:
    """A greyscale MP4 matte for compositing: 255 where the label is one of ``class_ids``,
    0 elsewhere and on frames without labels. With ``refine_with`` the edge is a soft alpha
    refined by matting and steadied along the optical flow (:mod:`srcrm.video.matte`)."""
    render = _matte_renderer(store, class_ids, refine_with, should_stop)
    return _write_video(source, path, frames, render, False, on_progress, should_stop)


def export_matte_pngs(
    source: FrameSource,
    store: FrameLabelStore,
    class_ids: Iterable[int],
    out_dir: str | os.PathLike,
    frames: Iterable[int] | None = None,
    on_progress: Progress = None,
    should_stop: Stop = None,
    refine_with: RefineConfig | None = None,
) -> int:
    """The same matte as :func:`write_matte_video`, losslessly, as ``out_dir/NNNNNN.png``
    (8-bit greyscale) for every frame; a cancelled export keeps the frames it finished."""
    out_dir = Path(out_dir)
    indices = list(range(source.frame_count)) if frames is None else sorted(set(frames))
    render = _matte_renderer(store, class_ids, refine_with, should_stop)
    written = 0
    try:
        for _, (index, frame) in _tracked(
            frames_at(source, indices), on_progress, should_stop, len(indices), raise_on_stop=True
        ):
            write_png(out_dir / f"{index:06d}.png", render(index, frame))
            written += 1
    except _Cancelled:
        pass
    return written


# --- helpers -------------------------------------------------------------------------------


def _matte_renderer(
    store: FrameLabelStore, class_ids: Iterable[int], refine_with: RefineConfig | None, should_stop: Stop
) -> Callable[[int, np.ndarray], np.ndarray]:
    """``render(index, frame)``: the frame's matte as uint8, hard or refined (frames must come
    in order for the refined one to be steady)."""
    lut = np.zeros(256, np.uint8)
    lut[list(class_ids)] = 255
    steady = SteadyMatting(refine_with) if refine_with is not None else None

    def render(index: int, frame: np.ndarray) -> np.ndarray:
        labels = store.read(index)
        if labels is None:
            return np.zeros(frame.shape[:2], np.uint8)
        hard = lut[labels]
        if steady is None or not hard.any():
            return hard
        try:
            return steady(index, frame, hard > 0, should_stop).alpha_u8()
        except Cancelled:
            raise _Cancelled from None

    return render


def _labelled(store: FrameLabelStore, frames: Iterable[int] | None) -> list[int]:
    if frames is None:
        return store.labelled()
    return sorted(i for i in set(frames) if store.has(i))


def _tracked(
    items: Iterable[T],
    on_progress: Progress,
    should_stop: Stop,
    total: int,
    raise_on_stop: bool = False,
) -> Iterator[tuple[int, T]]:
    """``(n, item)`` with n counting from 1 of ``total``, reporting progress after each item
    and ending (or raising ``_Cancelled``) when ``should_stop`` says so."""
    for n, item in enumerate(items, start=1):
        if should_stop and should_stop():
            if raise_on_stop:
                raise _Cancelled
            return
        yield n, item
        if on_progress:
            on_progress(n, total)


def _write_video(
    source: FrameSource,
    path: str | os.PathLike,
    frames: Iterable[int] | None,
    render: Callable[[int, np.ndarray], np.ndarray],
    colour: bool,
    on_progress: Progress,
    should_stop: Stop,
) -> int:
    """Encode ``render(index, frame)`` for each frame into an MP4 (mp4v) that replaces ``path``
    only when complete and checked on disk (:func:`_check_written`)."""
    path = Path(path)
    indices = list(range(source.frame_count)) if frames is None else sorted(set(frames))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".mp4", dir=path.parent)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    os.close(fd)
    writer = cv2.VideoWriter(
        tmp, cv2.VideoWriter.fourcc(*"mp4v"), source.fps, (source.width, source.height), colour
    )
    try:
        if not writer.isOpened():
            raise OSError(errno.EIO, "cannot write an MP4 video here", str(path))
        frame_iter = frames_at(source, indices)
        written = 0
        for written, (index, frame) in _tracked(  # noqa: B007 (the count is returned)
            frame_iter, on_progress, should_stop, len(indices), raise_on_stop=True
        ):
            image = render(index, frame)
            writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if colour else image)
        writer.release()
        _check_written(tmp, path, written)
        give_default_mode(tmp)
        os.replace(tmp, path)
        return written  # fewer than asked when the video turned out shorter than it claimed
    except _Cancelled:
        return 0
    finally:
        writer.release()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _check_written(tmp: str, path: Path, frames: int) -> None:
    """Raise OSError naming ``path`` unless ``tmp`` is on disk and holds ``frames`` frames.
    OpenCV's video writer reports nothing when the disk fills up: frames are dropped and the
    file is cut short, so it is flushed and read back before it may replace ``path``."""
    try:
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    cap = cv2.VideoCapture(tmp, cv2.CAP_FFMPEG)
    found = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    cap.release()
    if found != frames:
        raise OSError(
            errno.EIO,
            f"the video was not written whole ({found} of {frames} frames reached the disk; is it full?)",
            str(path),
        )

"""Video > Export (also File > Export > Video): the label PNGs, one COCO file with video and
frame ids, labelme JSON per frame, an MP4 of the overlay, and a matte MP4 of chosen classes
(hard, or with edges refined by matting, also as a PNG sequence).

Each asks where (the questions of :mod:`app.io_actions.dialogs`, and the class picker of
:mod:`app.video.video_dialogs`), then runs the engine's exporter (:mod:`srcrm.video.export`) in
a job of the window's :class:`~app.jobs.JobRunner` with progress and cancel, and says in the notice
bar how many frames it wrote and where."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from srcrm.matting import RefineConfig
from srcrm.video import (
    export_coco_video,
    export_label_pngs,
    export_labelme_frames,
    export_matte_pngs,
    write_matte_video,
    write_overlay_video,
)

from .. import actions
from ..actions import FileAction
from ..io_actions.common import UserError, labelset_of, remember, safe_name, state
from ..io_actions.dialogs import JSON_FILTER
from .video_dialogs import ask

MP4_FILTER = "MP4 videos (*.mp4);;All files (*)"
SUBMENU = "Video"


def _video(window):
    video = window.video
    if video is None:
        raise UserError("Open a video first (File > Open Video…).")
    return video


def _start_dir(window) -> Path:
    last = state(window).last_dir
    return last if last is not None and last.is_dir() else _video(window).path.parent


def _checked(window, path: Path, *, folder: bool = False) -> Path:
    """Refuse to write into the video's own label folder; remember the place for next time."""
    path = Path(path)
    store = _video(window).store.folder.resolve()
    resolved = path.resolve()
    if resolved == store or store in resolved.parents:
        raise UserError(f"{store} holds the app's own label files; choose another place for the export.")
    remember(window, path, folder=folder)
    return path


def _ask_file(window, title: str, name: str, file_filter: str, suffix: str) -> Path | None:
    path = ask(window, "save_file")(window, title, _start_dir(window) / name, file_filter)
    if path is None:
        return None
    path = Path(path)
    return _checked(window, path if path.suffix else path.with_suffix(suffix))


def _ask_folder(window, title: str) -> Path | None:
    folder = ask(window, "export_folder")(window, title, _start_dir(window))
    return None if folder is None else _checked(window, folder, folder=True)


def _run(window, title: str, what: str, where: Path, export) -> None:
    """Save the frame on screen, then run ``export(on_progress, should_stop) -> count``."""
    window.session.autosave(window.doc)
    window.flush_saves()

    def work(job) -> int:
        return export(job.on_progress("Exporting"), job.should_stop)

    def done(count: int, cancelled: bool) -> None:
        if cancelled:
            kept = f"; {count} {what} were written" if count else "; nothing was written"
            window.show_notice(f"{title} cancelled{kept}.", "info", key="export")
        elif count == 0:
            window.show_notice(
                f"{title}: no frame has labels yet, nothing was written.", "warning", key="export"
            )
        else:
            window.show_notice(f"Exported {count} {what} to {where}.", "info", key="export")

    window.videos.start_video_job(title, work, done)


# --- the exports ------------------------------------------------------------------------------


def export_pngs(window) -> None:
    video = _video(window)
    folder = _ask_folder(window, "Export Label PNGs: choose a folder")
    if folder is not None:
        _run(
            window,
            "Label PNG export",
            "label PNGs",
            folder,
            lambda on_progress, should_stop: export_label_pngs(
                video.store, folder, on_progress=on_progress, should_stop=should_stop
            ),
        )


def export_coco(window) -> None:
    video = _video(window)
    path = _ask_file(
        window, "Export the Video as COCO JSON", f"{video.source.name}_coco.json", JSON_FILTER, ".json"
    )
    if path is not None:
        labelset = labelset_of(video.classes)
        _run(
            window,
            "COCO export",
            "frames (JSON and JPEGs)",
            path,
            lambda on_progress, should_stop: export_coco_video(
                video.store, video.source, labelset, path, on_progress=on_progress, should_stop=should_stop
            ),
        )


def export_labelme(window) -> None:
    video = _video(window)
    folder = _ask_folder(window, "Export labelme JSON per Frame: choose a folder")
    if folder is not None:
        labelset = labelset_of(video.classes)
        _run(
            window,
            "labelme export",
            "frames (JSON and JPEG each)",
            folder,
            lambda on_progress, should_stop: export_labelme_frames(
                video.store, video.source, labelset, folder, on_progress=on_progress, should_stop=should_stop
            ),
        )


def export_overlay(window) -> None:
    video = _video(window)
    path = _ask_file(window, "Save the Overlay Video", f"{video.source.name}_overlay.mp4", MP4_FILTER, ".mp4")
    if path is not None:
        palette = np.asarray(video.classes.colors, np.uint8)
        alpha = window.canvas.opacity() or 0.5
        _run(
            window,
            "Overlay video",
            "frames",
            path,
            lambda on_progress, should_stop: write_overlay_video(
                video.source,
                video.store,
                palette,
                path,
                alpha=alpha,
                on_progress=on_progress,
                should_stop=should_stop,
            ),
        )


def _matte_classes(window):
    video = _video(window)
    class_ids = ask(window, "matte_classes")(window, video.classes, window.editor.current_class)
    names = "+".join(safe_name(video.classes.name(i)) for i in class_ids or ())
    return video, class_ids, names


def export_matte(window, refine_with: RefineConfig | None = None) -> None:
    video, class_ids, names = _matte_classes(window)
    if not class_ids:
        return
    soft = "_refined" if refine_with else ""
    path = _ask_file(
        window, "Save the Matte Video", f"{video.source.name}_matte_{names}{soft}.mp4", MP4_FILTER, ".mp4"
    )
    if path is not None:
        _run(
            window,
            "Matte video",
            "frames",
            path,
            lambda on_progress, should_stop: write_matte_video(
                video.source,
                video.store,
                class_ids,
                path,
                on_progress=on_progress,
                should_stop=should_stop,
                refine_with=refine_with,
            ),
        )


def export_refined_matte(window) -> None:
    export_matte(window, RefineConfig())


def export_refined_matte_pngs(window) -> None:
    video, class_ids, _ = _matte_classes(window)
    if not class_ids:
        return
    folder = _ask_folder(window, "Export a Refined Matte PNG per Frame: choose a folder")
    if folder is not None:
        _run(
            window,
            "Matte PNG export",
            "matte PNGs",
            folder,
            lambda on_progress, should_stop: export_matte_pngs(
                video.source,
                video.store,
                class_ids,
                folder,
                on_progress=on_progress,
                should_stop=should_stop,
                refine_with=RefineConfig(),
            ),
        )


def _guarded(handler):
    """A problem the user can fix goes to the notice bar as a warning, as it is."""

    @functools.wraps(handler)
    def run(window) -> None:
        try:
            handler(window)
        except UserError as exc:
            window.show_notice(str(exc), "warning", key="export")

    return run


def _has_video(window) -> bool:
    return window.video is not None and window.videos._video_job is None


ENTRIES = [
    FileAction(title, _guarded(handler), enabled=_has_video, submenu=None, tip=tip)
    for title, handler, tip in (
        ("Label PNGs (a folder)…", export_pngs, "NNNNNN.png per labelled frame: class ids, lossless"),
        (
            "COCO JSON with Video and Frame Ids…",
            export_coco,
            "One COCO file for the labelled frames, with their JPEGs beside it",
        ),
        ("labelme JSON per Frame…", export_labelme, "NNNNNN.json and NNNNNN.jpg for each labelled frame"),
        (
            "Overlay Video (MP4)…",
            export_overlay,
            "The video with the class colours laid over it, to review or share",
        ),
        (
            "Matte Video of Classes (MP4)…",
            export_matte,
            "White where the chosen classes are, black elsewhere: for compositing",
        ),
        (
            "Matte Video, Refined Edges (MP4)…",
            export_refined_matte,
            "The matte with a soft alpha edge (matting), steady from frame to frame",
        ),
        (
            "Matte PNG per Frame, Refined Edges…",
            export_refined_matte_pngs,
            "NNNNNN.png: the refined matte of every frame, lossless",
        ),
    )
]


def register() -> None:
    """Put the same entries in File > Export > Video."""
    for entry in ENTRIES:
        actions.register_exporter(
            entry.title, entry.handler, enabled=entry.enabled, submenu=SUBMENU, section="video", tip=entry.tip
        )

"""Video > Export (also File > Export > Video): the label PNGs, one COCO file with video and
frame ids, labelme JSON per frame, an MP4 of the overlay, and a matte MP4 of chosen classes
(hard, or with edges refined by matting, also as a PNG sequence).

Each asks where (the questions of :class:`app.dialogs.Dialogs`; the one export guard refuses
the video's own label folder), then runs the engine's exporter (:mod:`srcrm.video.export`) as a
video task (:class:`~app.video.video_tasks.VideoTasks`: progress and Cancel in the status bar),
and says in the notice bar how many frames it wrote and where."""

from __future__ import annotations

from collections.abc import Callable
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

from ..canvas import Canvas
from ..io_actions.common import IoContext, UserError, guarded, labelset_of, safe_name
from ..io_actions.exporters import export_folder_path, save_path
from ..io_actions.options import JSON_FILTER
from ..session import Command, Menu
from .session import VideoSession
from .video_tasks import VideoTasks

MP4_FILTER = "MP4 videos (*.mp4);;All files (*)"
Export = Callable[[Callable[[int, int], None], Callable[[], bool]], int]


class VideoExports:
    """The Video > Export commands, over the open video; each runs as a video task."""

    def __init__(self, ctx: IoContext, tasks: VideoTasks, canvas: Canvas) -> None:
        self.ctx = ctx
        self.tasks = tasks
        self.canvas = canvas

    def commands(self) -> list[Command | Menu]:
        ctx = self.ctx

        def can() -> bool:
            return ctx.session.video is not None and self.tasks.job is None

        entries: list[Command | Menu] = [
            Menu("video.export", "&Export", "video", "4_export"),
            Menu("file.export.video", "Video", "file.export", "4_video", mirror="video.export"),
        ]
        for key, title, handler, tip in (
            (
                "pngs",
                "Label PNGs (a folder)…",
                self.export_pngs,
                "NNNNNN.png per labelled frame: class ids, lossless",
            ),
            (
                "coco",
                "COCO JSON with Video and Frame Ids…",
                self.export_coco,
                "One COCO file for the labelled frames, with their JPEGs beside it",
            ),
            (
                "labelme",
                "labelme JSON per Frame…",
                self.export_labelme,
                "NNNNNN.json and NNNNNN.jpg for each labelled frame",
            ),
            (
                "overlay",
                "Overlay Video (MP4)…",
                self.export_overlay,
                "The video with the class colours laid over it, to review or share",
            ),
            (
                "matte",
                "Matte Video of Classes (MP4)…",
                self.export_matte,
                "White where the chosen classes are, black elsewhere: for compositing",
            ),
            (
                "refined_matte",
                "Matte Video, Refined Edges (MP4)…",
                self.export_refined_matte,
                "The matte with a soft alpha edge (matting), steady from frame to frame",
            ),
            (
                "refined_pngs",
                "Matte PNG per Frame, Refined Edges…",
                self.export_refined_matte_pngs,
                "NNNNNN.png: the refined matte of every frame, lossless",
            ),
        ):
            run = guarded(ctx, "Export", handler)
            entries.append(Command(f"video.export.{key}", title, run, "video.export", tip=tip, enabled=can))
        return entries

    # --- helpers ------------------------------------------------------------------------------

    def _video(self) -> VideoSession:
        video = self.ctx.session.video
        if video is None:
            raise UserError("Open a video first (File > Open Video…).")
        return video

    def _run(self, title: str, what: str, where: Path, export: Export) -> None:
        """Save the frame on screen, then run ``export(on_progress, should_stop) -> count``."""
        ui = self.ctx.ui
        self.ctx.session.autosave()
        self.ctx.session.saver.flush()

        def work(job) -> int:
            return export(job.on_progress("Exporting"), job.should_stop)

        def done(count: int, cancelled: bool) -> None:
            if cancelled:
                kept = f"; {count} {what} were written" if count else "; nothing was written"
                ui.notify(f"{title} cancelled{kept}.", "info", "export")
            elif count == 0:
                ui.notify(f"{title}: no frame has labels yet, nothing was written.", "warning", "export")
            else:
                ui.notify(f"Exported {count} {what} to {where}.", "info", "export")

        self.tasks.start(title, work, done)

    # --- the exports --------------------------------------------------------------------------

    def export_pngs(self) -> None:
        video = self._video()
        folder = export_folder_path(self.ctx, "Export Label PNGs: choose a folder")
        if folder is not None:
            self._run(
                "Label PNG export",
                "label PNGs",
                folder,
                lambda on_progress, should_stop: export_label_pngs(
                    video.store, folder, on_progress=on_progress, should_stop=should_stop
                ),
            )

    def export_coco(self) -> None:
        video = self._video()
        path = save_path(
            self.ctx, "Export the Video as COCO JSON", f"{video.source.name}_coco.json", JSON_FILTER, ".json"
        )
        if path is not None:
            labelset = labelset_of(video.classes)
            self._run(
                "COCO export",
                "frames (JSON and JPEGs)",
                path,
                lambda on_progress, should_stop: export_coco_video(
                    video.store,
                    video.source,
                    labelset,
                    path,
                    on_progress=on_progress,
                    should_stop=should_stop,
                ),
            )

    def export_labelme(self) -> None:
        video = self._video()
        folder = export_folder_path(self.ctx, "Export labelme JSON per Frame: choose a folder")
        if folder is not None:
            labelset = labelset_of(video.classes)
            self._run(
                "labelme export",
                "frames (JSON and JPEG each)",
                folder,
                lambda on_progress, should_stop: export_labelme_frames(
                    video.store,
                    video.source,
                    labelset,
                    folder,
                    on_progress=on_progress,
                    should_stop=should_stop,
                ),
            )

    def export_overlay(self) -> None:
        video = self._video()
        path = save_path(
            self.ctx, "Save the Overlay Video", f"{video.source.name}_overlay.mp4", MP4_FILTER, ".mp4"
        )
        if path is not None:
            palette = np.asarray(video.classes.display, np.uint8)  # what the canvas shows
            alpha = self.canvas.opacity() or 0.5
            self._run(
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

    def _matte_classes(self) -> tuple[VideoSession, list[int] | None, str]:
        video = self._video()
        class_ids = self.ctx.ui.dialogs.matte_classes(
            self.ctx.ui.parent, video.classes, self.ctx.session.editor.current_class
        )
        names = "+".join(safe_name(video.classes.name(i)) for i in class_ids or ())
        return video, class_ids, names

    def export_matte(self, refine_with: RefineConfig | None = None) -> None:
        video, class_ids, names = self._matte_classes()
        if not class_ids:
            return
        soft = "_refined" if refine_with else ""
        path = save_path(
            self.ctx,
            "Save the Matte Video",
            f"{video.source.name}_matte_{names}{soft}.mp4",
            MP4_FILTER,
            ".mp4",
        )
        if path is not None:
            self._run(
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

    def export_refined_matte(self) -> None:
        self.export_matte(RefineConfig())

    def export_refined_matte_pngs(self) -> None:
        video, class_ids, _ = self._matte_classes()
        if not class_ids:
            return
        folder = export_folder_path(self.ctx, "Export a Refined Matte PNG per Frame: choose a folder")
        if folder is not None:
            self._run(
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

"""Video mode of the main window (a mixin of :class:`~app.main_window.MainWindow`): open a
video or an image sequence, show one frame at a time in the same canvas with the same tools as
an image, step, seek and play, and save each frame's labels as the user edits it.

A frame on screen is an ordinary :class:`~app.document.label_document.LabelDocument` without a
file path; the session's :class:`~app.session.VideoMode` saves it after each stroke (queued on
the background writer, ``edited=True`` in the :class:`~srcrm.video.FrameLabelStore`). Until the
write lands the map stays in :class:`~app.video.session.PendingWrites`, so going back to a frame
never shows older labels.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from srcrm.video import VIDEO_SUFFIXES, LabelStoreError, VideoReadError, flicker

from ..document.label_document import ImageState
from ..session import VideoMode
from .job_flow import VideoJobsMixin
from .session import VideoSession
from .timeline import Timeline
from .video_dialogs import ask
from .video_menu import VideoMenuMixin


def is_video_file(path: Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


class VideoMixin(VideoMenuMixin, VideoJobsMixin):
    # --- setting up ---------------------------------------------------------------------------

    def _init_video(self) -> None:
        """Create the timeline and video state (called once from the window's constructor)."""
        self._video_job = self._video_job_done = self._video_job_video = None
        self._stats_job = self._stats_video = None
        self._stats_again = False
        self._prelabel_start = 0
        self._play_origin = (0.0, 0)  # (clock, frame) playing started from
        self._play_last = 0  # the frame the last tick showed
        self.timeline = Timeline()
        self.timeline.hide()
        self.centralWidget().layout().addWidget(self.timeline)
        self.timeline.frame_requested.connect(self.show_frame)
        self.image_list.frame_chosen.connect(self.show_frame)
        self.timeline.play_toggled.connect(self.toggle_play)
        self._play_timer = QtCore.QTimer(self, timeout=self._play_tick)
        self._play_timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.video_job_label = QtWidgets.QLabel()
        self.video_job_label.hide()
        self.statusBar().insertPermanentWidget(2, self.video_job_label)
        self.cancel_button.clicked.connect(self.cancel_video_job)
        self._session_timer.timeout.connect(self._save_video_meta)
        self.model.ready.connect(self._on_video_model_ready)
        self.session.saving.connect(self._refresh_marks)
        self.session.edited.connect(lambda _doc: self.toggle_play(False))

    # --- opening and closing ------------------------------------------------------------------

    def choose_video(self) -> None:
        path = ask(self, "open_video")(self, self._video_start_dir())
        if path is not None:
            self.open_video(path)

    def choose_sequence(self) -> None:
        path = ask(self, "open_sequence")(self, self._video_start_dir())
        if path is not None:
            self.open_video(path)

    def _video_start_dir(self) -> str:
        if self.video is not None:
            return str(self.video.path.parent)
        return str(self.project.folder) if self.project else str(Path.home())

    def open_video(self, path: str | Path, view: list[float] | None = None) -> bool:
        """Open a video file or an image-sequence folder at the frame last viewed. A video that
        cannot be read gives a notice and leaves what is open as it is."""
        path = Path(path)
        if self.video is not None and self.video.path == path.resolve():
            return True
        running = self._video_job_video  # a job on this video still runs: share its session,
        try:  # so that both see the same edited frames
            if running is not None and running.path == path.resolve():
                video = running
            else:
                video = VideoSession.open(path, self.settings.label_dir_for(path.resolve().parent))
        except (VideoReadError, LabelStoreError, OSError) as exc:
            self.show_notice(f"Cannot open {path.name} as a video: {exc}", "error", key="video")
            return False
        if self.video is not None:
            self.close_video()
        else:
            self.session.leave_document()
        self.flush_saves()
        if self.project is not None:
            self.save_session()  # the folder remembers its last image
        self.session.set_mode(VideoMode(video, self.saver))
        self.image_list.set_video(video.path.name, str(video.path))
        self.finetuning.use_project_model()  # the fine-tuned version this video was last used with
        if self.prelabel.model_classes is not None:
            video.adopt_classes(self.prelabel.model_classes)
        self.timeline.set_video(video.frame_count, video.source.fps)
        self.timeline.show()
        self.notice.dismiss("video")
        if not self.show_frame(video.last_frame, view=view) and video.last_frame != 0:
            self.show_frame(0)
        self.statusBar().showMessage(
            f"{video.source.name}: {video.frame_count} frames, {video.source.width}x"
            f"{video.source.height}, {video.source.fps:g} fps",
            5000,
        )
        self._refresh_marks()
        self.refresh_video_stats()
        self._update_actions()
        self.auto_prelabel_video()
        return True

    def close_video(self) -> None:
        """Leave video mode (another folder or video is opening); labels are saved first."""
        video = self.video
        if video is None:
            return
        self.toggle_play(False)
        self.session.leave_document()
        self.flush_saves()
        self._save_video_meta()
        self.session.set_mode(None)
        video.last_frame, video.frame = max(0, video.frame), -1  # (if it is opened again)
        self.timeline.hide()
        # A job still running keeps its own reference and finishes on its own.
        if self._video_job is None:
            video.close()

    def _save_video_meta(self) -> None:
        if self.video is None:
            return
        try:
            self.video.save_meta()
        except OSError:
            pass  # the label maps report their own save errors; this only costs the position

    def _shutdown_video(self) -> None:
        """The window is closing (the job runner has stopped): remember where the user was."""
        self._play_timer.stop()
        self._save_video_meta()
        if self.video is not None:
            self.video.close()

    def _on_video_model_ready(self, _info) -> None:
        if self.video is not None and self.prelabel.model_classes is not None:
            self.video.adopt_classes(self.prelabel.model_classes)
        self.auto_prelabel_video()

    # --- showing a frame ----------------------------------------------------------------------

    def show_frame(self, index: int, view: list[float] | None = None, reload: bool = False) -> bool:
        """Put frame ``index`` on the canvas (saving the one before). False if it cannot be
        decoded: the notice says why and the frame on screen stays."""
        video = self.video
        if video is None or video.frame_count == 0:
            return False
        index = min(max(0, int(index)), video.frame_count - 1)
        if index == video.frame and self.doc is not None and not reload:
            self.timeline.set_frame(index)
            return True
        try:
            image = video.source.read(index)
        except (VideoReadError, IndexError) as exc:
            self.toggle_play(False)
            self.show_notice(
                f"Frame {index} of {video.source.name} cannot be shown: {exc}. The "
                f"other frames and every label are unaffected.",
                "error",
                key="frame",
            )
            self._sync_frame_count()
            return False
        leaving, touched = video.frame, self.doc is not None and self.doc.revision > 0
        first = self.doc is None
        self.session.leave_document()
        doc = self.session.mode.load(index, image)
        self.show_document(doc, view, fit=first)
        self.timeline.set_frame(index)
        self.notice.dismiss("frame")
        if touched:
            self._update_flicker_around(leaving)
        self._update_actions()
        self._session_timer.start()
        return True

    def step_frame(self, delta: int) -> None:
        video = self.video
        if video is None:
            return
        target = max(0, video.frame) + int(delta)
        if 0 <= target < video.frame_count:
            self.show_frame(target)
        else:
            self.statusBar().showMessage("First frame" if target < 0 else "Last frame", 2000)

    def step_seconds(self, seconds: float) -> None:
        if self.video is not None:
            self.step_frame(round(seconds * self.video.source.fps) or (1 if seconds > 0 else -1))

    def _reload_frame_if_untouched(self, only_new: bool = False) -> None:
        """Show the frame's labels from disk again (a job wrote new ones) unless the user has
        changed it; ``only_new``: only if it had no labels yet."""
        video, doc = self.video, self.doc
        if video is None or doc is None or doc.revision > 0 or doc.state.has_human_work:
            return
        if only_new and (doc.state != ImageState.NEW or not video.store.has(video.frame)):
            return
        self.show_frame(video.frame, view=self.canvas.view_rect(), reload=True)

    def _sync_frame_count(self) -> None:
        """A truncated video turned out shorter than its header said: shrink the timeline."""
        video = self.video
        if video is not None and video.frame_count != self.timeline.frame_count:
            self.timeline.set_video(video.frame_count, video.source.fps)
            self.timeline.set_frame(max(0, video.frame))
            self.refresh_video_stats()

    def _update_flicker_around(self, index: int) -> None:
        """After frame ``index`` changed: its flicker against the frame before, and the next
        frame's against it."""
        video = self.video
        series = self.timeline.flicker.copy()
        if video is None or index < 0 or len(series) != video.frame_count:
            return
        ignore = video.classes.ignore_index
        maps = {i: video.labels(i) for i in (index - 1, index, index + 1) if 0 <= i < video.frame_count}
        for i in (index, index + 1):
            prev, cur = maps.get(i - 1), maps.get(i)
            if prev is not None and cur is not None:
                series[i] = flicker(prev, cur, ignore)
        self.timeline.set_flicker(series)
        if self._stats_job is not None:
            self.refresh_video_stats()  # the count running began before this edit

    # --- playing ------------------------------------------------------------------------------

    def toggle_play(self, on: bool | None = None) -> None:
        video = self.video
        playing = self._play_timer.isActive()
        on = (not playing) if on is None else bool(on)
        if on and video is not None and video.frame_count > 1:
            if video.frame >= video.frame_count - 1:
                self.show_frame(0)
            self._play_origin = (time.monotonic(), video.frame)
            self._play_last = video.frame
            # Ticks come twice a frame; each shows the frame the clock has reached, so slow
            # decoding skips frames instead of slowing the video down.
            self._play_timer.start(max(5, int(500 / max(video.source.fps, 1.0))))
        else:
            self._play_timer.stop()
        self.timeline.set_playing(self._play_timer.isActive())

    def _play_tick(self) -> None:
        video, doc = self.video, self.doc
        if video is None:
            self.toggle_play(False)
            return
        if doc is not None and doc.in_stroke:
            return
        if video.frame != self._play_last:  # the user moved meanwhile: play on from there
            self._play_origin, self._play_last = (time.monotonic(), video.frame), video.frame
        started, origin = self._play_origin
        target = origin + int((time.monotonic() - started) * video.source.fps)
        if target >= video.frame_count - 1:
            self.show_frame(video.frame_count - 1)
            self.toggle_play(False)
        elif target > video.frame and not self.show_frame(target):
            self.toggle_play(False)
        self._play_last = video.frame

    # --- the window's state -------------------------------------------------------------------

    def _update_video_actions(self) -> None:
        """Called at the end of the window's ``_update_actions``."""
        video = self.video
        on = video is not None
        idle = self._video_job is None
        for act in self.frame_actions:
            act.setEnabled(on)
        model_ok = self.model.info is not None and not self.model.busy
        self.act_prelabel_video.setEnabled(on and idle and model_ok)
        self.act_smooth_video.setEnabled(on and idle)
        self.act_propagate.setEnabled(on and idle and self.doc is not None)
        self.act_cancel_video_job.setEnabled(not idle)

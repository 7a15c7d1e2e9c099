"""Video mode of the main window (a controller owned by :class:`~app.main_window.MainWindow`): open a
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
from typing import TYPE_CHECKING, Protocol

from PySide6 import QtCore, QtWidgets

from srcrm.video import VIDEO_SUFFIXES, LabelStoreError, VideoReadError, flicker

from ..canvas import Canvas
from ..dialogs import Dialogs
from ..document.label_document import ImageState
from ..finetune.flow import FinetuneFlow
from ..image_list import ImageList
from ..notice import NoticeBar
from ..prelabel_flow import PrelabelFlow
from ..session import Session, VideoMode
from ..settings import AppSettings
from .job_flow import VideoJobsMixin
from .session import VideoSession
from .timeline import Timeline
from .video_dialogs import ask

if TYPE_CHECKING:
    from ..menus import WindowMenus


def is_video_file(path: Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


class VideoHost(Protocol):
    """What the flow uses of the window (a QMainWindow: the timeline goes under its canvas,
    the job label into its status bar; it parents the dialogs)."""

    session: Session
    settings: AppSettings
    dialogs: Dialogs
    canvas: Canvas
    image_list: ImageList
    notice: NoticeBar
    prelabel: PrelabelFlow
    finetuning: FinetuneFlow
    menus: WindowMenus
    cancel_button: QtWidgets.QPushButton
    progress_bar: QtWidgets.QProgressBar
    save_label: QtWidgets.QLabel
    _session_timer: QtCore.QTimer

    def show_notice(self, text: str, level: str = "info", key: str | None = None) -> None: ...

    def show_document(self, doc, view: list[float] | None, fit: bool) -> None: ...

    def flush_saves(self, timeout: float = 30.0) -> bool: ...

    def save_session(self) -> None: ...

    def _update_actions(self) -> None: ...

    def statusBar(self) -> QtWidgets.QStatusBar: ...

    def centralWidget(self) -> QtWidgets.QWidget: ...


class VideoFlow(VideoJobsMixin):
    # --- setting up ---------------------------------------------------------------------------

    def __init__(self, host: VideoHost) -> None:
        """Create the timeline and the video state (the actions: :mod:`.video_menu`)."""
        self.host = host
        self.session = host.session
        self._video_job = self._video_job_done = self._video_job_video = None
        self._stats_job = self._stats_video = None
        self._stats_again = False
        self._prelabel_start = 0
        self._play_origin = (0.0, 0)  # (clock, frame) playing started from
        self._play_last = 0  # the frame the last tick showed
        self.timeline = Timeline()
        self.timeline.hide()
        self.host.centralWidget().layout().addWidget(self.timeline)
        self.timeline.frame_requested.connect(self.show_frame)
        self.host.image_list.frame_chosen.connect(self.show_frame)
        self.timeline.play_toggled.connect(self.toggle_play)
        self._play_timer = QtCore.QTimer(self.host, timeout=self._play_tick)
        self._play_timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.video_job_label = QtWidgets.QLabel()
        self.video_job_label.hide()
        self.host.statusBar().insertPermanentWidget(2, self.video_job_label)
        self.host.cancel_button.clicked.connect(self.cancel_video_job)
        self.host._session_timer.timeout.connect(self._save_video_meta)
        self.session.model.ready.connect(self._on_video_model_ready)
        self.session.saving.connect(self._refresh_marks)
        self.session.edited.connect(lambda _doc: self.toggle_play(False))

    # --- opening and closing ------------------------------------------------------------------

    def choose_video(self) -> None:
        path = ask(self.host, "open_video")(self.host, self._video_start_dir())
        if path is not None:
            self.open_video(path)

    def choose_sequence(self) -> None:
        path = ask(self.host, "open_sequence")(self.host, self._video_start_dir())
        if path is not None:
            self.open_video(path)

    def _video_start_dir(self) -> str:
        if self.session.video is not None:
            return str(self.session.video.path.parent)
        return str(self.session.project.folder) if self.session.project else str(Path.home())

    def open_video(self, path: str | Path, view: list[float] | None = None) -> bool:
        """Open a video file or an image-sequence folder at the frame last viewed. A video that
        cannot be read gives a notice and leaves what is open as it is."""
        path = Path(path)
        if self.session.video is not None and self.session.video.path == path.resolve():
            return True
        running = self._video_job_video  # a job on this video still runs: share its session,
        try:  # so that both see the same edited frames
            if running is not None and running.path == path.resolve():
                video = running
            else:
                video = VideoSession.open(path, self.host.settings.label_dir_for(path.resolve().parent))
        except (VideoReadError, LabelStoreError, OSError) as exc:
            self.host.show_notice(f"Cannot open {path.name} as a video: {exc}", "error", key="video")
            return False
        if self.session.video is not None:
            self.close_video()
        else:
            self.session.leave_document()
        self.host.flush_saves()
        if self.session.project is not None:
            self.host.save_session()  # the folder remembers its last image
        self.session.set_mode(VideoMode(video, self.session.saver))
        self.host.image_list.set_video(video.path.name, str(video.path))
        self.host.finetuning.use_project_model()  # the fine-tuned version this video was last used with
        if self.host.prelabel.model_classes is not None:
            video.adopt_classes(self.host.prelabel.model_classes)
        self.timeline.set_video(video.frame_count, video.source.fps)
        self.timeline.show()
        self.host.notice.dismiss("video")
        if not self.show_frame(video.last_frame, view=view) and video.last_frame != 0:
            self.show_frame(0)
        self.host.statusBar().showMessage(
            f"{video.source.name}: {video.frame_count} frames, {video.source.width}x"
            f"{video.source.height}, {video.source.fps:g} fps",
            5000,
        )
        self._refresh_marks()
        self.refresh_video_stats()
        self.host._update_actions()
        self.auto_prelabel_video()
        return True

    def close_video(self) -> None:
        """Leave video mode (another folder or video is opening); labels are saved first."""
        video = self.session.video
        if video is None:
            return
        self.toggle_play(False)
        self.session.leave_document()
        self.host.flush_saves()
        self._save_video_meta()
        self.session.set_mode(None)
        video.last_frame, video.frame = max(0, video.frame), -1  # (if it is opened again)
        self.timeline.hide()
        # A job still running keeps its own reference and finishes on its own.
        if self._video_job is None:
            video.close()

    def _save_video_meta(self) -> None:
        if self.session.video is None:
            return
        try:
            self.session.video.save_meta()
        except OSError:
            pass  # the label maps report their own save errors; this only costs the position

    def shutdown(self) -> None:
        """The window is closing (the job runner has stopped): remember where the user was."""
        self._play_timer.stop()
        self._save_video_meta()
        if self.session.video is not None:
            self.session.video.close()

    def _on_video_model_ready(self, _info) -> None:
        if self.session.video is not None and self.host.prelabel.model_classes is not None:
            self.session.video.adopt_classes(self.host.prelabel.model_classes)
        self.auto_prelabel_video()

    # --- showing a frame ----------------------------------------------------------------------

    def show_frame(self, index: int, view: list[float] | None = None, reload: bool = False) -> bool:
        """Put frame ``index`` on the canvas (saving the one before). False if it cannot be
        decoded: the notice says why and the frame on screen stays."""
        video = self.session.video
        if video is None or video.frame_count == 0:
            return False
        index = min(max(0, int(index)), video.frame_count - 1)
        if index == video.frame and self.session.doc is not None and not reload:
            self.timeline.set_frame(index)
            return True
        try:
            image = video.source.read(index)
        except (VideoReadError, IndexError) as exc:
            self.toggle_play(False)
            self.host.show_notice(
                f"Frame {index} of {video.source.name} cannot be shown: {exc}. The "
                f"other frames and every label are unaffected.",
                "error",
                key="frame",
            )
            self._sync_frame_count()
            return False
        leaving, touched = video.frame, self.session.doc is not None and self.session.doc.revision > 0
        first = self.session.doc is None
        self.session.leave_document()
        doc, warnings = self.session.mode.load(index, image)
        self.host.show_document(doc, view, fit=first)
        self.timeline.set_frame(index)
        self.host.notice.dismiss("frame")
        if warnings:
            self.host.show_notice(" ".join(warnings), "warning", key="frame")
        if touched:
            self._update_flicker_around(leaving)
        self.host._update_actions()
        self.host._session_timer.start()
        return True

    def step_frame(self, delta: int) -> None:
        video = self.session.video
        if video is None:
            return
        target = max(0, video.frame) + int(delta)
        if 0 <= target < video.frame_count:
            self.show_frame(target)
        else:
            self.host.statusBar().showMessage("First frame" if target < 0 else "Last frame", 2000)

    def step_seconds(self, seconds: float) -> None:
        if self.session.video is not None:
            self.step_frame(round(seconds * self.session.video.source.fps) or (1 if seconds > 0 else -1))

    def _reload_frame_if_untouched(self, only_new: bool = False) -> None:
        """Show the frame's labels from disk again (a job wrote new ones) unless the user has
        changed it; ``only_new``: only if it had no labels yet."""
        video, doc = self.session.video, self.session.doc
        if video is None or doc is None or doc.revision > 0 or doc.state.has_human_work:
            return
        if only_new and (doc.state != ImageState.NEW or not video.store.has(video.frame)):
            return
        self.show_frame(video.frame, view=self.host.canvas.view_rect(), reload=True)

    def _sync_frame_count(self) -> None:
        """A truncated video turned out shorter than its header said: shrink the timeline."""
        video = self.session.video
        if video is not None and video.frame_count != self.timeline.frame_count:
            self.timeline.set_video(video.frame_count, video.source.fps)
            self.timeline.set_frame(max(0, video.frame))
            self.refresh_video_stats()

    def _update_flicker_around(self, index: int) -> None:
        """After frame ``index`` changed: its flicker against the frame before, and the next
        frame's against it."""
        video = self.session.video
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
        video = self.session.video
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
        video, doc = self.session.video, self.session.doc
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

    def update_actions(self) -> None:
        """Called at the end of the window's ``_update_actions``."""
        video = self.session.video
        on = video is not None
        idle = self._video_job is None
        for act in self.frame_actions:
            act.setEnabled(on)
        model_ok = self.session.model.info is not None and not self.session.model.busy
        self.act_prelabel_video.setEnabled(on and idle and model_ok)
        self.act_smooth_video.setEnabled(on and idle)
        self.act_propagate.setEnabled(on and idle and self.session.doc is not None)
        self.act_cancel_video_job.setEnabled(not idle)

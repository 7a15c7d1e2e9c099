"""Video mode's views and navigation: it opens videos and image sequences for the session (an
:class:`~app.session.Opener`), owns the timeline under the canvas, steps, seeks and plays, and
keeps the timeline's and the list's marks; the work on a video (pre-label, smooth, propagate,
exports) is the :class:`~app.video.video_tasks.VideoTasks` it owns.

A frame on screen is an ordinary :class:`~app.document.label_document.LabelDocument` without a
file path; the session's :class:`~app.session.VideoMode` reads and saves it (queued on the
background writer, ``edited=True`` in the :class:`~srcrm.video.FrameLabelStore`). Until the
write lands the map stays in :class:`~app.video.session.PendingWrites`, so going back to a frame
never shows older labels.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6 import QtCore

from srcrm.video import VIDEO_SUFFIXES, LabelStoreError, VideoReadError, flicker

from ..canvas import Canvas
from ..document.label_document import ImageState, LabelDocument
from ..image_list import ImageList
from ..session import Command, Mode, Session, VideoMode
from ..settings import AppSettings
from ..ui import Ui
from .session import VideoSession
from .timeline import Timeline
from .video_tasks import VideoTasks


def is_video_file(path: Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


class VideoFlow:
    kind = "video"

    def __init__(
        self,
        session: Session,
        ui: Ui,
        settings: AppSettings,
        timeline: Timeline,
        image_list: ImageList,
        canvas: Canvas,
    ) -> None:
        self.session = session
        self.ui = ui
        self.settings = settings
        self.timeline = timeline
        self.image_list = image_list
        self.canvas = canvas
        self._mode: VideoMode | None = None  # the video this opened, while it is open
        self._shown: LabelDocument | None = None  # the frame on screen, and its index
        self._shown_index = -1
        self._play_origin = (0.0, 0)  # (clock, frame) playing started from
        self._play_last = 0  # the frame the last tick showed
        self.tasks = VideoTasks(session, ui, self)
        timeline.hide()
        timeline.frame_requested.connect(self.show_frame)
        timeline.play_toggled.connect(self.toggle_play)
        self._play_timer = QtCore.QTimer()
        self._play_timer.timeout.connect(self._play_tick)
        self._play_timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        session.openers.append(self)
        session.mode_changed.connect(self._on_mode_changed)
        session.document_changed.connect(self._on_document_changed)
        session.document_failed.connect(self._on_document_failed)
        session.saver.queued.connect(lambda _key: self.refresh_marks())
        session.changed.connect(self.refresh_marks)  # a frame marked done (or no longer)
        session.edited.connect(lambda _doc: self.toggle_play(False))

    @property
    def mode(self) -> VideoMode | None:
        return self._mode

    def commands(self) -> list[Command]:
        session = self.session

        def video_open() -> bool:
            return self._mode is not None

        def last_frame() -> None:
            video = session.video
            if video is not None:
                self.show_frame(video.frame_count - 1)

        def frame(cid: str, title: str, run, keys: tuple[str, ...]) -> Command:
            return Command(cid, title, run, "video", "2_frames", keys, enabled=video_open)

        return [
            Command(
                "video.open",
                "Open &Video…",
                self.choose_video,
                "file",
                "1_open",
                ("Ctrl+Alt+O",),
                "A video file (mp4, avi, mkv, mov): label it frame by frame",
                also=("video",),
            ),
            Command(
                "video.open_sequence",
                "Open Image &Sequence…",
                self.choose_sequence,
                "file",
                "1_open",
                (),
                "A folder of images taken as the frames of one video",
                also=("video",),
            ),
            frame("video.play", "&Play / Pause", lambda: self.toggle_play(), ("K",)),
            frame("video.prev", "&Previous Frame", lambda: session.step(-1), ("Left", ",")),
            frame("video.next", "&Next Frame", lambda: session.step(+1), ("Right", ".")),
            frame("video.back", "One Second &Back", lambda: self.step_seconds(-1), ("Shift+Left",)),
            frame("video.forward", "One Second &Forward", lambda: self.step_seconds(+1), ("Shift+Right",)),
            frame("video.first", "F&irst Frame", lambda: self.show_frame(0), ("Home",)),
            frame("video.last", "&Last Frame", last_frame, ("End",)),
            frame("video.jump", "&Jump to Frame…", self.timeline.focus_jump_box, ("Ctrl+J",)),
            *self.tasks.commands(),
        ]

    # --- opening ------------------------------------------------------------------------------

    def choose_video(self) -> None:
        path = self.ui.dialogs.open_video(self.ui.parent, self._start_dir())
        if path is not None:
            self.open(path)

    def choose_sequence(self) -> None:
        path = self.ui.dialogs.open_sequence(self.ui.parent, self._start_dir())
        if path is not None:
            self.open(path)

    def _start_dir(self) -> str:
        video, project = self.session.video, self.session.project
        if video is not None:
            return str(video.path.parent)
        return str(project.folder) if project else str(Path.home())

    def accepts(self, path: Path) -> bool:
        return is_video_file(path)

    def open(self, path: Path, select: str | None = None, view: list[float] | None = None) -> bool:
        """Open a video file or an image-sequence folder at the frame last viewed. A video that
        cannot be read gives a notice and leaves what is open as it is."""
        path = Path(path)
        current = self.session.video
        if current is not None and current.path == path.resolve():
            return True
        running = self.tasks.video  # a task on this video still runs: share its session,
        try:  # so that both see the same edited frames
            if running is not None and running.path == path.resolve():
                video = running
            else:
                video = VideoSession.open(path, self.settings.label_dir_for(path.resolve().parent))
        except (VideoReadError, LabelStoreError, OSError) as exc:
            self.ui.notify(f"Cannot open {path.name} as a video: {exc}", "error", "video")
            return False
        mode = VideoMode(video, self.session.saver)
        self.session.open_mode(mode)
        self._mode = mode
        self.image_list.set_video(video.path.name, str(video.path))
        self.settings.add_recent(video.path, "video")
        self.timeline.set_video(video.frame_count, video.source.fps)
        self.timeline.show()
        self.ui.dismiss("video")
        first = mode.first_index() or 0
        if not self.show_frame(first, view) and first != 0:
            self.show_frame(0)
        source = video.source
        self.ui.notify(
            f"{source.name}: {video.frame_count} frames, {source.width}x{source.height}, {source.fps:g} fps",
            "status",
        )
        self.refresh_marks()
        self.tasks.refresh_stats()
        self.tasks.auto_prelabel()
        return True

    def _on_mode_changed(self, mode: Mode | None) -> None:
        if mode is not self._mode:  # another folder or video: this one was saved and closed
            self.tasks.video_left()
            self.toggle_play(False)
            self.timeline.hide()
            self._mode, self._shown = None, None

    def shutdown(self) -> None:
        """The window is closing."""
        self._play_timer.stop()

    # --- showing a frame ----------------------------------------------------------------------

    def show_frame(self, index: int, view: list[float] | None = None, reload: bool = False) -> bool:
        """Put frame ``index`` on the canvas (saving the one before). False if it cannot be
        decoded: the notice says why and the frame on screen stays."""
        video = self.session.video
        if video is None or video.frame_count == 0:
            return False
        index = min(max(0, int(index)), video.frame_count - 1)
        shown = self.session.open_document(index, reload)
        if shown:
            self.timeline.set_frame(index)
            if view is not None and len(view) == 4:
                self.canvas.set_view_rect(view)
        return shown

    def _on_document_changed(self, doc: LabelDocument | None) -> None:
        video = self.session.video
        if self._mode is None or video is None or doc is None:
            return
        self.timeline.set_frame(video.frame)
        left, left_index = self._shown, self._shown_index
        self._shown, self._shown_index = doc, video.frame
        if left is not None and left.revision > 0:
            self._update_flicker_around(left_index)

    def _on_document_failed(self, index: int, message: str) -> None:
        if self._mode is not None:
            self.toggle_play(False)
            self.sync_frame_count()

    def step_seconds(self, seconds: float) -> None:
        video = self.session.video
        if video is not None:
            self.session.step(round(seconds * video.source.fps) or (1 if seconds > 0 else -1))

    def reload_if_untouched(self, only_new: bool = False) -> None:
        """Show the frame's labels from disk again (a job wrote new ones) unless the user has
        changed it; ``only_new``: only if it had no labels yet."""
        video, doc = self.session.video, self.session.doc
        if video is None or doc is None or doc.revision > 0 or doc.state.has_human_work:
            return
        if only_new and (doc.state != ImageState.NEW or not video.store.has(video.frame)):
            return
        self.show_frame(video.frame, view=self.canvas.view_rect(), reload=True)

    def sync_frame_count(self) -> None:
        """A truncated video turned out shorter than its header said: shrink the timeline."""
        video = self.session.video
        if video is not None and video.frame_count != self.timeline.frame_count:
            self.timeline.set_video(video.frame_count, video.source.fps)
            self.timeline.set_frame(max(0, video.frame))
            self.tasks.refresh_stats()

    def set_flicker(self, series: np.ndarray) -> None:
        self.timeline.set_flicker(series)

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
        if self.tasks.counting:
            self.tasks.refresh_stats()  # the count running began before this edit

    def refresh_marks(self) -> None:
        video = self.session.video
        if video is None or self._mode is None:
            return
        pending = {i for i, _ in video.pending.items()}
        edited = video.store.edited | pending
        labelled = video.labelled | edited
        self.timeline.set_marks(labelled, edited)
        self.image_list.show_frames(video.frame_count, labelled, edited, video.done)

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

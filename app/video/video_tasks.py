"""Video work as the user sees it, owned by :class:`~app.video.video_flow.VideoFlow`: pre-label,
smooth, propagate a correction, export, each a foreground job of the session's
:class:`~app.jobs.JobRunner` (the status bar shows its progress, speed and time left, and a
Cancel button); and the timeline's statistics, refreshed in the background after each.

One task runs at a time; pre-labelling runs in the model's lane, on the thread that owns the
predictor. Outcomes arrive on the GUI thread. The video a task works on stays open until it
ends, even if the person opens something else meanwhile; a pre-label of it stops then (the
frames labelled are kept), so the model is free for what was opened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from ..jobs import Job, JobProgress
from ..session import Command, Session, VideoMode
from ..ui import Ui
from . import tasks
from .propagate_dialog import PropagationPreviewDialog
from .session import VideoSession

MAX_PROPAGATE = 100  # frames held in memory while the user looks at the preview


def frames(n: int) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"


class FrameView(Protocol):
    """What the tasks use of the video's views (VideoFlow's)."""

    @property
    def mode(self) -> VideoMode | None:
        """The video mode it opened, while that is open."""
        ...

    def refresh_marks(self) -> None:
        """Show again which frames are labelled and edited."""
        ...

    def reload_if_untouched(self, only_new: bool = False) -> None:
        """Show the frame's labels from disk again unless the person changed it."""
        ...

    def sync_frame_count(self) -> None:
        """The video turned out shorter than its header said."""
        ...

    def set_flicker(self, series: np.ndarray) -> None: ...


class VideoTasks:
    def __init__(self, session: Session, ui: Ui, view: FrameView) -> None:
        self.session = session
        self.ui = ui
        self.view = view
        self.job: Job | None = None  # the task running
        self.video: VideoSession | None = None  # the video it works on
        self._on_done: Callable[[Any, bool], None] | None = None
        self._stats_job: Job | None = None
        self._stats_video: VideoSession | None = None
        self._stats_again = False
        self._prelabel_start = 0
        self._left = False  # the running pre-label stopped because its video was left
        session.model.ready.connect(lambda _info: self.auto_prelabel())
        session.jobs.finished.connect(self._on_any_finished)
        session.edited.connect(self._on_person_edit)

    def _on_person_edit(self, doc) -> None:
        """A person changed the frame on screen: its labels are theirs now, even where a
        propagated correction wrote them (fine-tuning may then measure a model on it)."""
        video = self.session.video
        if video is not None and doc is self.session.doc and video.frame >= 0:
            try:
                video.store.person_edited(video.frame)
            except OSError:
                pass  # store.json cannot be written: the frame's own save says so

    def commands(self) -> list[Command]:
        session = self.session

        def ready(doc: bool = False) -> bool:
            return session.video is not None and self.job is None and (session.doc is not None or not doc)

        return [
            Command(
                "video.prelabel",
                "Pre-label the &Video…",
                self.prelabel_video,
                "video",
                "3_tasks",
                ("Ctrl+Alt+L",),
                "Label every frame (or a range) with the model, in the background; frames you edited "
                "are never replaced",
                enabled=lambda: ready() and session.model.refusal() is None,
            ),
            Command(
                "video.smooth",
                "&Smooth Labels Over Neighbouring Frames…",
                self.smooth_video,
                "video",
                "3_tasks",
                (),
                "A per-pixel majority vote over neighbouring frames removes one-frame flicker",
                enabled=ready,
            ),
            Command(
                "video.propagate",
                "Propagate &Correction to the Next Frames…",
                self.propagate_correction,
                "video",
                "3_tasks",
                ("Ctrl+Alt+P",),
                "Carry what you changed on this frame to the following frames along the motion; you "
                "preview it before anything is written",
                enabled=lambda: ready(doc=True),
            ),
            Command(
                "video.cancel",
                "&Cancel the Running Video Task",
                self.cancel,
                "video",
                "3_tasks",
                enabled=lambda: self.job is not None,
            ),
        ]

    # --- running a task -----------------------------------------------------------------------

    def start(
        self,
        title: str,
        work: Callable[[Job], Any],
        on_done: Callable[[Any, bool], None],
        *,
        uses_model: bool = False,
    ) -> Job | None:
        """Run ``work`` on the open video in the background (in the model's lane when it
        predicts); ``on_done(result, cancelled)`` on the GUI thread when it succeeds (a failure
        becomes an error notice)."""
        if self.job is not None:
            self.ui.notify(
                f"{self.job.title} is running; wait for it or cancel it first.", "warning", "video-busy"
            )
            return None
        video = self.session.video
        if video is None:
            return None
        if uses_model:
            job = self.session.model.submit(title, work, foreground=True)
        else:
            job = self.session.jobs.submit(title, work, lane="video", foreground=True)
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_succeeded)
        job.failed.connect(self._on_failed)
        job.finished.connect(self._on_finished)
        self.job, self._on_done, self.video = job, on_done, video
        video.held = True
        return job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def video_left(self) -> None:
        """Another folder or video was opened: a pre-label of the video left stops there."""
        job = self.job
        if job is not None and job.uses_model and self.video is not self.session.video:
            self._left = True
            job.cancel()

    def _on_any_finished(self, job: Job) -> None:
        """The model may be free now for a video opened while it was busy."""
        if job is not self.job and job.foreground and job.uses_model and not self.session.closed:
            self.auto_prelabel()

    def _on_progress(self, p: JobProgress) -> None:
        job = self.job
        if job is None or job.cancelled:
            return
        if p.frame_index is not None and self.session.video is self.video is not None:
            self._on_frames_labelled(p.frame_index)

    def _on_succeeded(self, result: Any) -> None:
        job, done = self.job, self._on_done
        if job is not None and done is not None and not self.session.closed:
            done(result, job.cancelled)

    def _on_failed(self, message: str) -> None:
        job = self.job
        if job is None or self.session.closed:
            return
        self.ui.notify(
            f"{job.title} stopped: {message}. What was finished before is kept.", "error", "video-job"
        )
        self.view.sync_frame_count()

    def _on_finished(self, _job: Job) -> None:
        video = self.video
        self.job = self._on_done = self.video = None
        self.ui.dismiss("video-busy")
        if video is not None:
            video.held = False
            if video is not self.session.video:
                video.close()  # closed while the job ran (the mode left it open for the job)
        if self.session.closed:
            return
        self.view.reload_if_untouched()
        self.refresh_stats()

    # --- the timeline's statistics ------------------------------------------------------------

    def refresh_stats(self) -> None:
        """Recount labelled and edited frames and the flicker series, in the background."""
        video = self.session.video
        if video is None or self.session.closed:
            return
        if self._stats_job is not None:
            self._stats_job.cancel()  # its result would be stale; a new one follows
            self._stats_again = True
            return
        job = self.session.jobs.submit("Counting", tasks.statistics(video), lane="stats")
        job.succeeded.connect(self._on_stats_ready)
        job.finished.connect(self._on_stats_finished)
        self._stats_job, self._stats_video = job, video

    @property
    def counting(self) -> bool:
        return self._stats_job is not None

    def _on_stats_ready(self, stats: tasks.VideoStats | None) -> None:
        video = self.session.video
        if stats is None or self.session.closed or video is not self._stats_video or video is None:
            return
        video.labelled |= stats.labelled  # (frames never lose their labels)
        self.view.set_flicker(stats.flicker)
        self.view.refresh_marks()

    def _on_stats_finished(self, _job: Job) -> None:
        self._stats_job = None
        if self._stats_again and not self.session.closed:
            self._stats_again = False
            self.refresh_stats()

    # --- pre-labelling ------------------------------------------------------------------------

    def prelabel_video(self) -> None:
        video = self.session.video
        if video is None or not self._model_usable():
            return
        request = self.ui.dialogs.prelabel_options(
            self.ui.parent, video.frame_count, max(0, video.frame), len(video.labelled)
        )
        if request is not None:
            self._start_prelabel(video, request)

    def auto_prelabel(self) -> None:
        """ "Pre-label New Images When Opened" covers videos too: frames the model has not
        labelled yet are labelled in the background (frames with labels, edited ones above all,
        are kept)."""
        video = self.session.video
        if (
            video is None
            or not self.session.auto_prelabel
            or self.session.model.refusal() is not None
            or self.job is not None
            or len(video.store.labelled()) >= video.frame_count
        ):
            return
        self._start_prelabel(video, tasks.PrelabelRequest())

    def _start_prelabel(self, video: VideoSession, request: tasks.PrelabelRequest) -> None:
        self.session.autosave()
        model = self.session.model
        self._prelabel_start = request.start
        work = tasks.prelabel(video, model, model.name, request)
        self.start("Pre-labelling", work, self._on_prelabelled, uses_model=True)

    def _model_usable(self) -> bool:
        why = self.session.model.refusal()
        if why is not None:
            self.ui.notify(why, "warning", "model")
        return why is None

    def _on_frames_labelled(self, last: int) -> None:
        """Pre-labelling wrote every frame it was given up to ``last``: mark them, and show
        the labels of the frame on screen as soon as it has some."""
        video = self.session.video
        if video is None:
            return
        video.labelled.update(range(self._prelabel_start, last + 1))
        self.view.refresh_marks()
        if self.session.doc is not None and video.frame <= last:
            self.view.reload_if_untouched(only_new=True)

    def _on_prelabelled(self, outcome: tasks.PrelabelOutcome, cancelled: bool) -> None:
        s = outcome.summary
        rate = f" ({s.labelled / s.seconds:.1f} frames/s)" if s.seconds > 0 and s.labelled else ""
        video, left, self._left = self.video, self._left, False
        if left and video is not None:
            text = (
                f"Pre-labelling of {video.source.name} stopped when you opened another folder or "
                f"video: the {frames(s.labelled)} labelled are kept; it goes on when you open it again."
            )
        elif s.cancelled or cancelled:
            text = (
                f"Pre-labelling cancelled: the {frames(s.labelled)} labelled are kept; run "
                f"it again to go on from there."
            )
        else:
            text = f"Pre-labelled {frames(s.labelled)} in {s.seconds:.0f} s{rate}."
        if s.skipped:
            text += f" {frames(s.skipped)} kept (labelled already, or edited by hand)."
        if outcome.smoothed is not None:
            text += f" Smoothing changed {frames(outcome.smoothed)}."
        self.ui.notify(text, "info", "video-job")

    def smooth_video(self) -> None:
        video = self.session.video
        if video is None:
            return
        radius = self.ui.dialogs.smooth_radius(self.ui.parent)
        if radius is None:
            return
        self.session.autosave()
        self.session.saver.flush()
        self.start("Smoothing", tasks.smooth(video, radius), self._on_smoothed)

    def _on_smoothed(self, changed: int, cancelled: bool) -> None:
        what = "Smoothing cancelled; so far it" if cancelled else "Smoothing"
        self.ui.notify(f"{what} changed {frames(changed)} (frames you edited are kept).", "info", "video-job")

    # --- propagating a correction -------------------------------------------------------------

    def propagate_correction(self) -> None:
        """Carry the correction on this frame, else the last one made (on whatever frame),
        to the frames after it."""
        video, mode = self.session.video, self.view.mode
        if video is None or mode is None:
            return
        correction = mode.correction()
        if correction is None:
            self.ui.notify(
                "Nothing to propagate: paint a correction on a frame first "
                "(what changed since it was shown is carried forward).",
                "warning",
                "video-job",
            )
            return
        index, labels, region = correction
        room = min(MAX_PROPAGATE, video.frame_count - 1 - index)
        if room < 1:
            self.ui.notify(
                f"The correction is on the last frame ({index}): there is nothing after it to propagate to.",
                "warning",
                "video-job",
            )
            return
        count = self.ui.dialogs.propagate_count(self.ui.parent, min(10, room), room)
        if count is None:
            return
        work = tasks.propagate(video, index, labels, region, count)
        self.start("Propagating", work, self._on_propagated)

    def _on_propagated(self, propagation: tasks.Propagation | None, cancelled: bool) -> None:
        video, mode = self.session.video, self.view.mode
        if propagation is None or cancelled or mode is None or video is not self.video or video is None:
            return
        preview = PropagationPreviewDialog(self.ui.parent, propagation, video.source.read, video.classes)
        try:
            apply = self.ui.dialogs.confirm_propagation(self.ui.parent, preview)
        finally:
            preview.deleteLater()
        first, last = propagation.frames[0].index, propagation.frames[-1].index
        if not apply:
            self.ui.notify("Propagation discarded; nothing was written", "status")
            return
        for item in propagation.frames:
            mode.submit(item.index, item.labels)
        try:  # a guess carried from another frame: fine-tuning never measures a model on them
            video.store.mark_propagated(item.index for item in propagation.frames)
        except OSError:
            pass  # the frames' own saves fail the same way, and say so
        self.view.refresh_marks()
        mode.correction_carried(propagation.source_index)
        self.view.reload_if_untouched()  # the frame on screen may be one it changed
        changed = sum(item.changed for item in propagation.frames)
        self.ui.notify(
            f"Carried the correction of frame {propagation.source_index} to frames "
            f"{first}–{last} ({changed} pixels changed); they count as edited, and fine-tuning "
            f"learns from them once you edit them or mark them done.",
            "info",
            "video-job",
        )
        self.refresh_stats()

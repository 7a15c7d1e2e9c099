"""Video work as the user sees it (a base of :class:`~app.video.video_flow.VideoFlow`):
pre-label, smooth, propagate a correction, export, each a job of the window's
:class:`~app.jobs.JobRunner` with progress, speed and time left in the status bar and a Cancel
button; and the timeline's statistics, refreshed in the background after each.

One user task runs at a time; pre-labelling runs in the model's lane, on the thread that owns
the predictor. Outcomes arrive on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from ..jobs import Job, JobProgress, describe_progress
from . import tasks
from .propagate_dialog import PropagationPreviewDialog
from .video_dialogs import MAX_PROPAGATE, ask


def frames(n: int) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"


class VideoJobsMixin:
    # --- running a job ------------------------------------------------------------------------

    def start_video_job(
        self, title: str, work, on_done: Callable[[object, bool], None], *, uses_model: bool = False
    ) -> Job | None:
        """Run ``work`` in the background (in the model's lane when it predicts);
        ``on_done(result, cancelled)`` on the GUI thread when it succeeds (a failure becomes an
        error notice)."""
        if self._video_job is not None:
            self.host.show_notice(
                f"{self._video_job.title} is running; wait for it or cancel it first.",
                "warning",
                key="video-job",
            )
            return None
        job = (
            self.session.model.submit(title, work)
            if uses_model
            else self.session.jobs.submit(title, work, lane="video")
        )
        job.progress.connect(self._on_video_job_progress)
        job.succeeded.connect(self._on_video_job_succeeded)
        job.failed.connect(self._on_video_job_failed)
        job.finished.connect(self._on_video_job_finished)
        self._video_job, self._video_job_done, self._video_job_video = job, on_done, self.session.video
        self.video_job_label.setText(f"{title}…")
        self.video_job_label.show()
        self.host.progress_bar.setRange(0, 0)
        self.host.progress_bar.setFormat(title)
        self.host.progress_bar.show()
        self.host.cancel_button.show()
        self.host._update_actions()
        return job

    def cancel_video_job(self) -> None:
        job = self._video_job
        if job is not None and not job.cancelled:
            job.cancel()
            self.video_job_label.setText(f"Cancelling {job.title.lower()}…")

    def _on_video_job_progress(self, p: JobProgress) -> None:
        job = self._video_job
        if job is None or job.cancelled:
            return
        self.host.progress_bar.setRange(0, max(1, p.total))
        self.host.progress_bar.setValue(p.done)
        self.host.progress_bar.setFormat(f"{p.done}/{p.total}")
        self.video_job_label.setText(describe_progress(job.title, p))
        if p.frame_index is not None and self.session.video is self._video_job_video is not None:
            self._on_frames_labelled(p.frame_index)

    def _on_video_job_succeeded(self, result) -> None:
        job, done = self._video_job, self._video_job_done
        if job is not None and done is not None and not self.session.closed:
            done(result, job.cancelled)

    def _on_video_job_failed(self, message: str) -> None:
        job = self._video_job
        if job is None or self.session.closed:
            return
        self.host.show_notice(
            f"{job.title} stopped: {message}. What was finished before is kept.", "error", key="video-job"
        )
        self._sync_frame_count()

    def _on_video_job_finished(self, _job: Job) -> None:
        video = self._video_job_video
        self._video_job = self._video_job_done = self._video_job_video = None
        if video is not None and video is not self.session.video:
            video.close()  # closed while the job ran (close_video left it open for the job)
        if self.session.closed:
            return
        self.video_job_label.hide()
        self.host.progress_bar.hide()
        self.host.cancel_button.hide()
        self.host._update_actions()
        self._reload_frame_if_untouched()
        self.refresh_video_stats()

    # --- the timeline's statistics ------------------------------------------------------------

    def refresh_video_stats(self) -> None:
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

    def _on_stats_ready(self, stats) -> None:
        if stats is None or self.session.video is not self._stats_video or self.session.closed:
            return
        self.session.video.labelled |= stats.labelled  # (frames never lose their labels)
        self.timeline.set_flicker(stats.flicker)
        self._refresh_marks()

    def _on_stats_finished(self, _job: Job) -> None:
        self._stats_job = None
        if self._stats_again and not self.session.closed:
            self._stats_again = False
            self.refresh_video_stats()

    # --- pre-labelling ------------------------------------------------------------------------

    def prelabel_video(self) -> None:
        video = self.session.video
        if video is None or not self._video_model_usable():
            return
        request = ask(self.host, "prelabel_options")(
            self, video.frame_count, max(0, video.frame), len(video.labelled)
        )
        if request is None:
            return
        self._start_video_prelabel(request)

    def auto_prelabel_video(self) -> None:
        """ "Pre-label New Images When Opened" covers videos too: frames the model has not
        labelled yet are labelled in the background (frames with labels, edited ones above all,
        are kept)."""
        video = self.session.video
        if (
            video is None
            or not self.host.menus.act_auto_prelabel.isChecked()
            or self.session.model.info is None
            or self.session.model.busy
            or self._video_job is not None
            or len(video.store.labelled()) >= video.frame_count
        ):
            return
        self._start_video_prelabel(tasks.PrelabelRequest())

    def _start_video_prelabel(self, request: tasks.PrelabelRequest) -> None:
        video = self.session.video
        if self.session.doc is not None:
            self.session.autosave(self.session.doc)
        work = tasks.prelabel(video, self.session.model, self.session.model.name, request)
        self._prelabel_start = request.start
        self.start_video_job("Pre-labelling", work, self._on_video_prelabelled, uses_model=True)

    def _video_model_usable(self) -> bool:
        if self.session.model.info is None:
            what = "still loading" if self.session.model.loading else "not loaded"
            self.host.show_notice(f"The model is {what}; pre-labelling is not available yet.", "warning")
            return False
        if self.session.model.busy:
            self.host.statusBar().showMessage("Image pre-labelling is running; try again when it ends", 4000)
            return False
        return True

    def _on_frames_labelled(self, last: int) -> None:
        """Pre-labelling wrote every frame it was given up to ``last``: mark them, and show
        the labels of the frame on screen as soon as it has some."""
        video = self.session.video
        video.labelled.update(range(self._prelabel_start, last + 1))
        self._refresh_marks()
        if self.session.doc is not None and video.frame <= last:
            self._reload_frame_if_untouched(only_new=True)

    def _on_video_prelabelled(self, outcome: tasks.PrelabelOutcome, cancelled: bool) -> None:
        s = outcome.summary
        rate = f" ({s.labelled / s.seconds:.1f} frames/s)" if s.seconds > 0 and s.labelled else ""
        if s.cancelled or cancelled:
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
        self.host.show_notice(text, "info", key="video-job")

    def smooth_video(self) -> None:
        video = self.session.video
        if video is None:
            return
        radius = ask(self.host, "smooth_radius")(self.host)
        if radius is None:
            return
        self.session.autosave(self.session.doc)
        self.host.flush_saves()
        self.start_video_job("Smoothing", tasks.smooth(video, radius), self._on_video_smoothed)

    def _on_video_smoothed(self, changed: int, cancelled: bool) -> None:
        what = "Smoothing cancelled; so far it" if cancelled else "Smoothing"
        self.host.show_notice(
            f"{what} changed {frames(changed)} (frames you edited are kept).", "info", key="video-job"
        )

    # --- propagating a correction -------------------------------------------------------------

    def propagate_correction(self) -> None:
        video, doc = self.session.video, self.session.doc
        if video is None or doc is None:
            return
        region = doc.labels != self.session.mode.baseline
        if not region.any():
            self.host.show_notice(
                "Nothing to propagate: paint a correction on this frame first "
                "(what changed since it was shown is carried forward).",
                "warning",
                key="video-job",
            )
            return
        room = min(MAX_PROPAGATE, video.frame_count - 1 - video.frame)
        if room < 1:
            self.host.show_notice(
                "This is the last frame: there is nothing after it to propagate to.",
                "warning",
                key="video-job",
            )
            return
        count = ask(self.host, "propagate_count")(self.host, min(10, room), room)
        if count is None:
            return
        work = tasks.propagate(video, video.frame, doc.labels, region, count)
        self.start_video_job("Propagating", work, self._on_propagated)

    def _on_propagated(self, propagation: tasks.Propagation | None, cancelled: bool) -> None:
        video = self.session.video
        if propagation is None or cancelled or video is None or video is not self._video_job_video:
            return
        dialog = PropagationPreviewDialog(self.host, propagation, video.source.read, video.classes)
        try:
            apply = ask(self.host, "confirm_propagation")(self.host, dialog)
        finally:
            dialog.deleteLater()
        first, last = propagation.frames[0].index, propagation.frames[-1].index
        if not apply:
            self.host.statusBar().showMessage("Propagation discarded; nothing was written", 5000)
            return
        for item in propagation.frames:
            self.session.mode.submit(item.index, item.labels)
        self.host.save_label.setText("Saving…")
        self._refresh_marks()
        if self.session.doc is not None and video.frame == propagation.source_index:
            self.session.mode.baseline = self.session.doc.labels.copy()  # this correction is carried now
        changed = sum(item.changed for item in propagation.frames)
        self.host.show_notice(
            f"Carried the correction of frame {propagation.source_index} to frames "
            f"{first}–{last} ({changed} pixels changed); they count as edited.",
            "info",
            key="video-job",
        )
        self.refresh_video_stats()

    # --- helpers ------------------------------------------------------------------------------

    def _refresh_marks(self) -> None:
        video = self.session.video
        if video is None:
            return
        pending = {i for i, _ in video.pending.items()}
        edited = video.store.edited | pending
        labelled = video.labelled | edited
        self.timeline.set_marks(labelled, edited)
        self.host.image_list.show_frames(video.frame_count, labelled, edited)

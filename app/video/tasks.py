"""The video work that runs as a job of the :class:`~app.jobs.JobRunner`. Each function here
returns a ``work(job)`` over the engine's :mod:`srcrm.video` calls and the open
:class:`~app.video.session.VideoSession`; nothing here touches a widget."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from srcrm.video import (
    PrelabelSummary,
    VideoPrelabelConfig,
    apply_propagation,
    flicker_series,
    prelabel_video,
    propagate_correction,
    smooth_store,
)

from .session import VideoSession

# --- pre-labelling and smoothing --------------------------------------------------------------


@dataclass(frozen=True)
class PrelabelRequest:
    """What the pre-label dialog asks for: frames ``start..stop-1`` (``stop`` None: to the
    end), whether to keep frames that have labels already (resume), and smoothing after."""

    start: int = 0
    stop: int | None = None
    skip_labelled: bool = True
    smooth: bool = False
    smooth_radius: int = 1


@dataclass(frozen=True)
class PrelabelOutcome:
    summary: PrelabelSummary
    smoothed: int | None  # frames smoothing changed; None when it was not asked for or not run


class _Batched:
    """``predict_batch`` for a predictor that only labels one image at a time."""

    def __init__(self, predictor):
        self.predictor = predictor

    def predict_batch(self, images):
        return [self.predictor.predict(image) for image in images]


def prelabel(
    session: VideoSession, predictor, model_name: str, request: PrelabelRequest, batch_size: int = 4
):
    source, store = session.source, session.store
    num_classes = len(session.classes)
    if not hasattr(predictor, "predict_batch"):
        predictor = _Batched(predictor)
    cfg = VideoPrelabelConfig(
        start=request.start, stop=request.stop, batch_size=batch_size, skip_labelled=request.skip_labelled
    )

    def work(job) -> PrelabelOutcome:
        def progress(p) -> None:
            job.report(
                p.done,
                p.total,
                "Pre-labelling",
                p.frame_index,
                p.frames_per_s,
                float("nan") if p.eta_s is None else p.eta_s,
            )

        summary = prelabel_video(
            source, store, predictor, cfg, on_progress=progress, should_stop=job.should_stop
        )
        if summary.labelled:
            store.model = model_name
        smoothed = None
        if request.smooth and not summary.cancelled and not job.should_stop():
            smoothed = smooth_store(
                store,
                num_classes,
                request.smooth_radius,
                on_progress=job.on_progress("Smoothing"),
                should_stop=job.should_stop,
            )
        return PrelabelOutcome(summary, smoothed)

    return work


def smooth(session: VideoSession, radius: int):
    store, num_classes = session.store, len(session.classes)

    def work(job) -> int:
        return smooth_store(
            store, num_classes, radius, on_progress=job.on_progress("Smoothing"), should_stop=job.should_stop
        )

    return work


# --- propagation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PropagatedFrame:
    index: int
    labels: np.ndarray  # the frame's labels with the correction laid over them
    region: np.ndarray  # bool: where the correction landed
    changed: int  # pixels whose label it changes


@dataclass(frozen=True)
class Propagation:
    """A correction of frame ``source_index`` carried to the frames after it, not yet
    written: the user previews it first."""

    source_index: int
    frames: list[PropagatedFrame]


def propagate(session: VideoSession, index: int, labels: np.ndarray, region: np.ndarray, count: int):
    """Carry ``region`` of frame ``index`` (its corrected ``labels``) to the next ``count``
    frames along the optical flow, over the labels they have now."""
    source, ignore = session.source, session.classes.ignore_index
    labels, region = labels.copy(), region.copy()

    def work(job) -> Propagation | None:
        frames = []
        stop = min(index + count + 1, source.frame_count)
        for k, (_, frame) in enumerate(source.frames(index, stop)):
            if job.should_stop():
                return None
            frames.append(frame)
            job.report(k, stop - index, "Reading frames")
        job.report(0, 1, "Following the motion")
        carried = propagate_correction(frames, labels, region)
        out = []
        for k, (warped, warped_region) in enumerate(carried, start=index + 1):
            existing = session.labels(k)
            if existing is None:
                existing = np.full(labels.shape, ignore, np.uint8)
            new = apply_propagation(existing, warped, warped_region)
            out.append(PropagatedFrame(k, new, warped_region, int((new != existing).sum())))
        return Propagation(index, out)

    return work


# --- what the timeline shows ------------------------------------------------------------------


@dataclass(frozen=True)
class VideoStats:
    labelled: frozenset[int]
    edited: frozenset[int]
    flicker: np.ndarray  # per frame, 0..1, NaN where unknown


class _Cancelled(Exception):
    pass


class _WatchedLabels:
    """The session's labels as :func:`~srcrm.video.flicker_series` reads a store (newest
    first, from memory or disk), stopping when the job is cancelled."""

    def __init__(self, session: VideoSession, job):
        self.session, self.job = session, job

    def read(self, index: int):
        if self.job.should_stop():
            raise _Cancelled
        return self.session.labels(index)


def statistics(session: VideoSession):
    """Which frames have labels, which were edited, and the flicker series."""

    def work(job) -> VideoStats | None:
        store = session.store
        pending = {i for i, _ in session.pending.items()}
        try:
            series = flicker_series(
                _WatchedLabels(session, job), session.frame_count, session.classes.ignore_index
            )
        except _Cancelled:
            return None
        return VideoStats(frozenset(store.labelled()) | pending, store.edited | pending, series)

    return work

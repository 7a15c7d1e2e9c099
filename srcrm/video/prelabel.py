"""Pre-label a video: every frame through the model, each label map into the store.

Three stages run at once, joined by bounded queues so memory stays flat for any length:
a decoder thread reads frames in sequence, the calling thread runs the model on batches, and
a writer thread encodes PNGs and writes them atomically. OpenCV and torch release the GIL, so
decoding and PNG encoding overlap with inference.

It resumes: frames that already have labels are skipped, and frames a person edited are never
overwritten (checked at the moment of writing, so an edit made during the run is safe too).
A cancel (``should_stop``) or Ctrl-C stops after the current batch; every label map written
until then stays. A run to the end labels up to the file's true end, whatever its header
claims: a truncated file is labelled up to where it stops, and one that holds more frames than
its header says is labelled to its last frame (the summary gives the end, and the store's
frame count is corrected); a frame that cannot be decoded is left unlabelled and named in the
summary, and the run goes on.
"""

from __future__ import annotations

import bisect
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from srcrm.video.label_store import FrameLabelStore, LabelStoreError
from srcrm.video.source import FrameSource, frames_at

_END = object()


@dataclass
class VideoPrelabelConfig:
    start: int = 0
    stop: int | None = None  # None: to the end
    batch_size: int = 4  # frames per forward pass
    skip_labelled: bool = True  # resume; False re-labels every frame nobody edited
    queue_size: int = 8  # frames waiting between stages (bounds memory)


@dataclass
class PrelabelProgress:
    done: int  # label maps written
    total: int  # frames to label in this run
    frame_index: int  # the last frame written
    frames_per_s: float
    eta_s: float | None


@dataclass
class PrelabelSummary:
    labelled: int
    skipped: int  # already labelled, or edited by a person
    cancelled: bool
    seconds: float
    frame_count: int = 0  # the frames the video really holds, as far as known after the run
    truncated: bool = False  # its header claims more frames than it holds
    longer: bool = False  # its header claims fewer frames than it holds (all were labelled)
    damaged: dict[int, str] = field(default_factory=dict)  # frames that could not be decoded


def prelabel_video(
    source: FrameSource,
    store: FrameLabelStore,
    predictor,
    cfg: VideoPrelabelConfig = VideoPrelabelConfig(),
    on_progress: Callable[[PrelabelProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PrelabelSummary:
    """Label the frames ``cfg.start..cfg.stop-1`` of ``source`` into ``store`` with
    ``predictor`` (anything with ``predict_batch(images) -> [Prediction]``)."""
    if store.size is not None and store.size != (source.height, source.width):
        raise LabelStoreError(
            f"{store.folder} holds labels of {store.size[1]}x{store.size[0]} "
            f"frames, {source.name} is {source.width}x{source.height}"
        )
    if cfg.stop is None:
        source.find_end()
        if store.frame_count is not None and source.frame_count > store.frame_count:
            store.set_frame_count(source.frame_count)
    stop = source.frame_count if cfg.stop is None else min(cfg.stop, source.frame_count)
    candidates = store.missing(cfg.start, stop) if cfg.skip_labelled else range(cfg.start, stop)
    edited = store.edited
    todo = [i for i in candidates if i not in edited]
    todo_set = set(todo)
    began = time.perf_counter()
    decoder = _Decoder(source, todo, cfg.queue_size)
    writer = _Writer(store, cfg.queue_size)
    stopped = should_stop or (lambda: False)
    cancelled = False

    def report() -> None:
        if on_progress is not None:
            # Frames past a true end found meanwhile, or undecodable, leave the total.
            gone = sum(1 for i in source.damaged if i in todo_set)
            total = max(bisect.bisect_left(todo, source.frame_count) - gone, writer.written)
            elapsed = time.perf_counter() - began
            rate = writer.written / elapsed if elapsed > 0 else 0.0
            eta = (total - writer.written) / rate if rate > 0 else None
            on_progress(PrelabelProgress(writer.written, total, writer.last_index, rate, eta))

    try:
        for batch in decoder.batches(cfg.batch_size, stopped):
            predictions = predictor.predict_batch([frame for _, frame in batch])
            for (index, _), prediction in zip(batch, predictions, strict=True):
                writer.put(index, prediction.labels)
            writer.raise_error()
            report()
        cancelled = decoder.cancelled
    finally:
        decoder.stop()
        writer.finish()
    writer.raise_error()
    report()
    if source.truncated:
        store.set_frame_count(source.frame_count)
    return PrelabelSummary(
        labelled=writer.written,
        cancelled=cancelled,
        skipped=(stop - cfg.start) - len(todo) + writer.refused,
        seconds=time.perf_counter() - began,
        frame_count=source.frame_count,
        truncated=source.truncated,
        longer=source.longer,
        damaged={i: why for i, why in source.damaged.items() if i in todo_set},
    )


class _Decoder:
    """A thread that decodes the wanted frames in order into a bounded queue."""

    def __init__(self, source: FrameSource, indices: list[int], queue_size: int):
        self._source, self._indices = source, indices
        self._queue: queue.Queue = queue.Queue(max(queue_size, 1))
        self._stop = threading.Event()
        self.cancelled = False
        self._thread = threading.Thread(target=self._run, name="video-decoder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in frames_at(self._source, self._indices):
                if self._stop.is_set():
                    return
                self._queue.put(item)
        except Exception as exc:  # noqa: BLE001 - handed to the consuming thread, raised there
            self._queue.put(exc)
        finally:
            self._queue.put(_END)

    def batches(self, size: int, should_stop: Callable[[], bool]) -> Iterator[list]:
        """Batches of ``(index, frame)``; checks ``should_stop`` while waiting, and raises a
        decoding error after yielding the frames before it."""
        batch: list = []
        while True:
            if should_stop():
                self.cancelled = True
                return
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is _END or isinstance(item, Exception):
                if batch:
                    yield batch
                if isinstance(item, Exception):
                    raise item
                return
            batch.append(item)
            if len(batch) >= max(size, 1):
                yield batch
                batch = []

    def stop(self) -> None:
        """End the thread, emptying the queue so that it is not stuck on a full one."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass


class _Writer:
    """A thread that encodes and writes label maps, never over a person's edits."""

    def __init__(self, store: FrameLabelStore, queue_size: int):
        self._store = store
        self._queue: queue.Queue = queue.Queue(max(queue_size, 1))
        self.written = 0
        self.refused = 0  # edited meanwhile
        self.last_index = -1
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="label-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _END:
            if self._error is not None:
                continue  # keep emptying the queue so that the producer is never stuck
            index, labels = item
            try:
                if self._store.write_unless_edited(index, labels):
                    self.written += 1
                    self.last_index = index
                else:
                    self.refused += 1
            except BaseException as exc:  # noqa: BLE001 - e.g. a full disk: raised by the caller
                self._error = exc

    def put(self, index: int, labels) -> None:
        self._queue.put((index, labels))

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def finish(self) -> None:
        """Write what is queued, then end the thread."""
        self._queue.put(_END)
        self._thread.join()

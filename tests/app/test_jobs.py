"""The job runner and the model service, without Qt: events arrive through ``post`` (here a
queue the test drains, as the GUI thread's event loop would)."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
import pytest
from app_test_helpers import FakePredictor

from app.jobs import MODEL_LANE, JobRunner, ModelService


class Loop:
    """Stands in for the GUI thread: posted events wait here until ``run_until``."""

    def __init__(self):
        self.events = queue.Queue()

    def post(self, fn):
        self.events.put(fn)

    def run_until(self, condition, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out")
            try:
                self.events.get(timeout=min(remaining, 0.05))()
            except queue.Empty:
                pass


@pytest.fixture
def loop():
    return Loop()


@pytest.fixture
def runner(loop):
    r = JobRunner(loop.post)
    yield r
    r.shutdown(10)


def test_a_job_reports_progress_then_its_result_on_the_posting_thread(runner, loop):
    seen, threads = [], []

    def work(job):
        threads.append(threading.current_thread().name)
        for k in range(3):
            job.report(k, 3, "counting")
        job.deliver("half")
        return 42

    job = runner.submit("Count", work, lane="export")
    job.progress.connect(lambda p: seen.append(("progress", p.done, p.total, p.text)))
    job.partial.connect(lambda item: seen.append(("partial", item)))
    job.succeeded.connect(lambda result: seen.append(("succeeded", result)))
    job.finished.connect(lambda j: seen.append(("finished", threading.current_thread().name)))
    assert runner.busy(lane="export") and not runner.busy(lane=MODEL_LANE)
    loop.run_until(lambda: seen and seen[-1][0] == "finished")
    assert threads == ["srcrm-export"]
    assert seen == [
        ("progress", 0, 3, "counting"),
        ("progress", 1, 3, "counting"),
        ("progress", 2, 3, "counting"),
        ("partial", "half"),
        ("succeeded", 42),
        ("finished", threading.current_thread().name),
    ]
    assert not runner.busy()


def test_a_failure_is_a_message_and_cancel_stops_the_work(runner, loop):
    failed, outcomes = [], []
    bad = runner.submit("Bad", lambda job: 1 / 0)
    bad.failed.connect(failed.append)
    gate = threading.Event()

    def long(job):
        gate.set()
        while not job.should_stop():
            time.sleep(0.01)
        return "stopped early"

    slow = runner.submit("Slow", long, lane="video")
    queued = runner.submit("Queued", lambda job: "ran", lane="video")  # behind Slow in its lane
    for job in (slow, queued):
        job.succeeded.connect(lambda r, j=job: outcomes.append((j.title, r)))
    gate.wait(5)
    runner.cancel(lane="video")
    loop.run_until(lambda: not runner.busy())
    assert failed == ["division by zero"]
    # The running job decided what to return; the queued one never ran.
    assert outcomes == [("Slow", "stopped early")] and slow.cancelled and queued.cancelled


def test_jobs_of_one_lane_never_overlap(runner, loop):
    active, overlaps = [], []
    lock = threading.Lock()

    def work(job):
        with lock:
            active.append(job.title)
            if len(active) > 1:
                overlaps.append(tuple(active))
        time.sleep(0.02)
        with lock:
            active.remove(job.title)

    for k in range(4):
        runner.submit(f"job {k}", work, lane="model")
    loop.run_until(lambda: not runner.busy())
    assert overlaps == []


def test_the_model_lives_on_one_thread_and_falls_back_to_the_cpu(runner, loop, tmp_path):
    import cv2

    predictor = FakePredictor(device="cuda", fail_on_gpu=True)
    service = ModelService(runner, lambda path, device, _progress=None: predictor)
    notices, devices, results = [], [], []
    service.notice.connect(notices.append)
    service.device_changed.connect(devices.append)
    service.load(None, "auto")
    assert service.loading and service.info is None
    loop.run_until(lambda: service.info is not None)
    assert service.info.device_name == "Fake GPU 9000"
    paths = []
    for k in range(3):
        paths.append(tmp_path / f"{k}.png")
        cv2.imwrite(str(paths[-1]), np.zeros((30, 40, 3), np.uint8))
    (tmp_path / "bad.png").write_bytes(b"not an image")
    job = service.prelabel([paths[0], tmp_path / "bad.png", *paths[1:]])
    job.partial.connect(results.append)
    assert service.busy
    loop.run_until(lambda: job.done and not service.busy)
    assert [r.path.name for r in results] == ["0.png", "bad.png", "1.png", "2.png"]
    assert results[1].error and all(r.labels.shape == (30, 40) for r in results if not r.error)
    # The GPU failed on the first image: one notice, the model moved, and every prediction
    # ran on the model's own thread.
    assert len(notices) == 1 and "GPU (Fake GPU 9000) failed" in notices[0]
    assert devices == ["CPU"] and service.info.device_name == "CPU"
    assert set(predictor.threads) == {f"srcrm-{MODEL_LANE}"}


def test_a_model_change_cancels_the_jobs_that_predict_and_waits_for_them(runner, loop):
    first, second = FakePredictor(delay=0.05), FakePredictor()
    factory_calls = []
    service = ModelService(
        runner,
        lambda path, device, _progress=None: factory_calls.append(path) or (first if path == "a" else second),
    )
    service.load("a")
    loop.run_until(lambda: service.info is not None)
    started = threading.Event()
    predicted_with = []

    def work(job):
        started.set()
        while not job.should_stop():
            predicted_with.append(service._predictor)
            service.predict(np.zeros((8, 8, 3), np.uint8))
        return len(predicted_with)

    job = service.submit("Video pre-label", work)
    started.wait(5)
    service.load("b")  # cancels the running job; the load runs after it returns
    loop.run_until(lambda: service.info is not None)
    assert job.cancelled and job.done
    assert factory_calls == ["a", "b"] and set(map(id, predicted_with)) == {id(first)}
    assert service._predictor is second and not service.busy


def test_a_job_started_when_the_model_is_ready_counts_as_busy_but_the_load_does_not(runner, loop):
    service = ModelService(runner, lambda path, device, _progress=None: FakePredictor())
    seen = []
    service.ready.connect(lambda info: seen.append(service.busy))
    service.load(None)
    loop.run_until(lambda: not runner.busy())
    assert seen == [False] and not service.loading

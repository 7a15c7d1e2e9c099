"""Refine edge: a hard region in, a soft alpha matte and clean foreground colours out.

The steps are those of an editor's "Refine Edge": a trimap around the region's rim
(:mod:`.trimap`), opened where the neighbour shows through thin structures
(:mod:`.see_through`), alpha solved in its unknown band (:mod:`.alpha`), an optional feather,
and foreground decontamination (:mod:`.foreground`). The label map a region came from is never
touched: the matte lives beside it.

Progress goes by stages, each with its share of the time a 480x360 refine takes, and moves
within the solve as the solver converges. Building the solver's matrix, factorising its
preconditioner, decontaminating and, once per install, compiling pymatting cannot be
interrupted, so the steps run on a helper thread and the caller waits in short steps: a stop
is answered within ``_POLL_S`` whatever the step (the helper ends at its next report).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from srcrm.base.ranges import check_range
from srcrm.matting import kernels
from srcrm.matting.alpha import METHODS, estimate_alpha
from srcrm.matting.foreground import decontaminate
from srcrm.matting.see_through import open_thin_structures
from srcrm.matting.trimap import make_trimap

Progress = Callable[[float, str], None] | None  # (fraction done, the stage under way)
Stop = Callable[[], bool] | None
_POLL_S = 0.05

# Where each stage starts, as a share of the whole (measured at 480x360).
BAND, SOLVER, MATRIX, SOLVE, COLOURS = 0.0, 0.05, 0.1, 0.2, 0.45
COMPILING = "Compiling the matting solver (once after installing; about a minute)"


class Cancelled(Exception):
    """Raised by :func:`refine` when ``should_stop`` said so."""


@dataclass(frozen=True)
class RefineConfig:
    """How to refine: ``band`` px of unknown either side of the rim, the matting ``method``
    (see :data:`srcrm.matting.alpha.METHODS`), a Gaussian ``feather`` (px) of the result,
    whether to ``decontaminate`` the foreground colours, and whether to ``see_through`` thin
    structures (the sky between branches made background, :mod:`.see_through`)."""

    band: int = 8
    method: str = "cf"
    feather: float = 0.0
    decontaminate: bool = True
    see_through: bool = True

    def __post_init__(self):
        if self.band < 0:
            raise ValueError("the band width must not be negative")
        if self.feather < 0:
            raise ValueError("feather must not be negative")
        if self.method not in METHODS:
            raise ValueError(f"unknown matting method {self.method!r}; choose one of {', '.join(METHODS)}")


def check_edge_widths(shape: tuple[int, ...], *, feather: float, band: float) -> None:
    """Raise ValueError unless ``feather`` and ``band`` (px) are from 0 to the longer side of
    an image of ``shape``: wider, they change nothing more (the whole image is one soft edge),
    while the feather's Gaussian kernel grows with it (1e9 px asked for 21 GB)."""
    longest = max(shape[:2])
    check_range(feather, "--feather", 0, longest)
    check_range(band, "--band", 0, longest, whole=True)


@dataclass
class Matte:
    """A refined region: ``alpha`` (HxW float32 in [0, 1]), the ``foreground`` colours to
    show under it (HxWx3 uint8) and the ``trimap`` it was solved in."""

    alpha: np.ndarray
    foreground: np.ndarray
    trimap: np.ndarray

    def alpha_u8(self) -> np.ndarray:
        return np.clip(np.rint(self.alpha * 255), 0, 255).astype(np.uint8)

    def rgba(self) -> np.ndarray:
        """HxWx4 uint8 with straight (not premultiplied) alpha, as PNG stores it."""
        return np.dstack((self.foreground, self.alpha_u8()))


def refine(
    image: np.ndarray,
    mask: np.ndarray,
    config: RefineConfig = RefineConfig(),
    widen: np.ndarray | None = None,
    on_progress: Progress = None,
    should_stop: Stop = None,
    labels: np.ndarray | None = None,
) -> Matte:
    """Refine ``mask`` (HxW, nonzero inside) of ``image`` (HxWx3 RGB uint8); ``widen`` is the
    refine brush (extra unknown pixels), ``labels`` the label map the region came from (its
    classes around the region tell what may show through it). ``on_progress(fraction,
    stage)`` reports along the way, on the caller's thread, and :class:`Cancelled` is raised
    within ``_POLL_S`` of ``should_stop()`` turning true."""
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[:2] != mask.shape:
        raise ValueError(
            f"need an HxWx3 image and an HxW mask of its size, got {image.shape} and {mask.shape}"
        )
    if labels is not None and labels.shape != mask.shape:
        raise ValueError(f"labels {labels.shape} and mask {mask.shape} differ in size")
    steps = _Steps()
    helper = threading.Thread(
        target=steps.run, args=(image, mask, config, widen, labels), name="refine edge", daemon=True
    )
    helper.start()
    while True:
        finished = steps.done.wait(_POLL_S)
        if should_stop is not None and should_stop():
            steps.stopped = True
            raise Cancelled
        if on_progress is not None:
            for update in steps.news():
                on_progress(*update)
        if finished:
            break
    if steps.error is not None:
        raise steps.error
    assert steps.result is not None
    return steps.result


class _Steps:
    """The refine's steps, run on a helper thread; they report to :attr:`progress` and end
    at their next report once :attr:`stopped` is set."""

    def __init__(self) -> None:
        self.stopped = False
        self.progress = (0.0, "Finding the edge band")
        self._unseen = [self.progress]  # each stage's first report, and the latest
        self.done = threading.Event()
        self.result: Matte | None = None
        self.error: BaseException | None = None

    def report(self, fraction: float, stage: str) -> None:
        if self.stopped:
            raise Cancelled
        new_stage = stage != self.progress[1]
        self.progress = (max(self.progress[0], fraction), stage)  # never backwards
        if new_stage or not self._unseen or self._unseen[-1][1] != stage:
            self._unseen.append(self.progress)
        else:
            self._unseen[-1] = self.progress

    def news(self) -> list[tuple[float, str]]:
        """The reports since the last call: every stage entered, each at its latest."""
        news, self._unseen = self._unseen, []
        return news

    def run(self, image, mask, config: RefineConfig, widen, labels) -> None:
        try:
            self.result = self._refine(image, mask, config, widen, labels)
        except kernels.Stopped:
            self.error = Cancelled()
        except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
            self.error = exc
        finally:
            self.done.set()

    def _refine(self, image, mask, config: RefineConfig, widen, labels) -> Matte:
        trimap = make_trimap(mask, config.band, widen)
        if config.see_through:
            trimap = open_thin_structures(trimap, image, mask, labels)
        if (config.method != "guided" or config.decontaminate) and not kernels.loaded():
            self.report(SOLVER, "Loading the matting solver" if kernels.compiled() else COMPILING)
            kernels.load(lambda: self.stopped)
        self.report(MATRIX, "Building the matting solver")

        def solving(done: float) -> None:
            self.report(SOLVE + (COLOURS - SOLVE) * done, "Solving the matte")

        alpha = estimate_alpha(image, mask, trimap, config.method, on_iteration=solving)
        if config.feather > 0:
            alpha = np.clip(
                cv2.GaussianBlur(alpha, (0, 0), sigmaX=config.feather / 2, borderType=cv2.BORDER_REPLICATE),
                0,
                1,
            )
        if config.decontaminate:
            self.report(COLOURS, "Cleaning the edge colours")
            foreground = decontaminate(image, alpha)
        else:
            foreground = image.copy()
        self.report(1.0, "Done")
        return Matte(alpha, foreground, trimap)

"""Alpha by matting, solved only in a trimap's unknown band.

Methods, measured in ``benchmarks/bench_matting.py`` (figures in ``docs/refine_edge.md``):

- ``cf``: closed-form matting (Levin et al.) through pymatting: a sparse linear system over
  the unknown pixels, whose local colour-line model recovers twigs and hair. The default.
- ``lkm``: large-kernel matting (pymatting): the same model with big windows, matrix-free.
- ``knn``: KNN matting (pymatting): non-local, links pixels of alike colour anywhere.
- ``guided``: OpenCV's guided filter of the hard mask by the image: fastest, but it only
  snaps the rim to colour edges and cannot bring back what the mask lost.

A band with no sure foreground or no sure background (a band wider than the region) leaves
the solvers nothing to match colours against; the guided filter stands in then. Each works
on the bounding box of the unknown band (plus a margin of known pixels), and
``on_iteration(fraction)`` is called as the solver converges, so callers can report
progress and cancel (by raising from it).

A wide and large band (a refine-brush stroke round a head of hair at 1920x1080) is solved
coarse to fine: at half size, until it is narrow or small, then carried back to full size by
the local colour model (:mod:`.upsample`). The 3x3 windows of closed-form matting pass alpha
across a wide band only slowly, so there the full-size solve is both far slower and no better
(figures in ``docs/refine_edge.md``).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from srcrm.matting.trimap import BACKGROUND, FOREGROUND, UNKNOWN
from srcrm.matting.upsample import upsample_alpha

METHODS = ("cf", "lkm", "knn", "guided")
_MARGIN = 12  # known pixels kept around the band: the solvers' windows reach this far
_RTOL = 1e-5  # conjugate-gradient tolerance; the matte no longer changes visibly below it
_WIDE = 24  # px from the nearest sure pixel beyond which a band counts as wide
_QUICK = 100_000  # unknown pixels a full-size solve handles in about a second

Iterate = Callable[[float], None] | None


def estimate_alpha(
    image: np.ndarray, mask: np.ndarray, trimap: np.ndarray, method: str = "cf", on_iteration: Iterate = None
) -> np.ndarray:
    """A float32 HxW alpha in [0, 1] for ``image`` (HxWx3 uint8) and its hard ``mask``: exactly
    1 and 0 on the trimap's known pixels, solved by ``method`` (one of :data:`METHODS`) in
    between."""
    if method not in METHODS:
        raise ValueError(f"unknown matting method {method!r}; choose one of {', '.join(METHODS)}")
    alpha = (trimap == FOREGROUND).astype(np.float32)
    unknown = trimap == UNKNOWN
    if not unknown.any():
        return alpha
    rows, cols = np.flatnonzero(unknown.any(1)), np.flatnonzero(unknown.any(0))
    y0, y1 = max(rows[0] - _MARGIN, 0), min(rows[-1] + _MARGIN + 1, trimap.shape[0])
    x0, x1 = max(cols[0] - _MARGIN, 0), min(cols[-1] + _MARGIN + 1, trimap.shape[1])
    crop_image = image[y0:y1, x0:x1].astype(np.float64) / 255
    crop_trimap = trimap[y0:y1, x0:x1]
    if not ((crop_trimap == FOREGROUND).any() and (crop_trimap == BACKGROUND).any()):
        method = "guided"  # nothing sure on one side to match colours against
    crop_mask = mask[y0:y1, x0:x1] != 0
    solved = _solve(method, crop_image, crop_mask, crop_trimap, on_iteration)
    crop_unknown = unknown[y0:y1, x0:x1]
    alpha[y0:y1, x0:x1][crop_unknown] = np.clip(solved[crop_unknown], 0, 1)
    return alpha


def _solve(method, image, mask, trimap, on_iteration):
    if method != "guided" and _wide_and_large(trimap):
        return _solve_coarse(method, image, mask, trimap, on_iteration)
    return _solver(method)(image, mask, trimap, on_iteration)


def _wide_and_large(trimap: np.ndarray) -> bool:
    unknown = trimap == UNKNOWN
    if np.count_nonzero(unknown) <= _QUICK:
        return False
    return cv2.distanceTransform(unknown.astype(np.uint8), cv2.DIST_L2, 3).max() > _WIDE


def _solve_coarse(method, image, mask, trimap, on_iteration):
    """Solve at half size (recursively) and carry alpha back up through the colour model."""
    h, w = trimap.shape
    size = ((w + 1) // 2, (h + 1) // 2)

    def share(where):  # the fraction of each coarse pixel's block where ``where`` holds
        return cv2.resize(where.astype(np.float32), size, interpolation=cv2.INTER_AREA)

    unknown, foreground = share(trimap == UNKNOWN), share(trimap == FOREGROUND)
    # a coarse pixel is sure only where its whole block is sure, and on one side
    coarse_trimap = np.select(
        [(unknown > 0) | ((foreground > 1e-3) & (foreground < 1 - 1e-3)), foreground >= 1 - 1e-3],
        [UNKNOWN, FOREGROUND],
        BACKGROUND,
    ).astype(np.uint8)
    if not ((coarse_trimap == FOREGROUND).any() and (coarse_trimap == BACKGROUND).any()):
        return _solver(method)(image, mask, trimap, on_iteration)  # a side vanished at half size
    coarse_image = np.clip(cv2.resize(image, size, interpolation=cv2.INTER_AREA), 0, 1)
    coarse_mask = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) != 0
    coarse = _solve(method, coarse_image, coarse_mask, coarse_trimap, on_iteration)
    return upsample_alpha(np.clip(coarse, 0, 1), coarse_image, image)


def _preconditioner(matrix):
    # pymatting's incomplete Cholesky, started with a tiny diagonal shift: without one it
    # often fails on large closed-form bands, prints a warning and retries (the shift barely
    # changes the preconditioner, and not the solution; KNN's matrix needs none). Dropping
    # entries below 3e-4 (pymatting: 1e-4) factorises 1.3-1.5x faster for a few more CG steps
    # and the same matte; at 1e-3 the factorisation starts failing and retrying.
    from pymatting import ichol

    return ichol(matrix, discard_threshold=3e-4, shifts=[1e-4, 1e-3, 1e-2, 0.1, 0.5, 1.0, 10.0])


def _pymatting(estimate, extra=None, **laplacian_kwargs):
    """A solver calling pymatting's ``estimate`` with CG progress; ``extra`` are more of its
    keyword arguments."""

    def solve(image, mask, trimap, on_iteration):
        kwargs: dict[str, object] = {"rtol": _RTOL, "maxiter": 2000}
        if on_iteration is not None:

            def callback(A, x, b, norm_b, r, norm_r):
                on_iteration(min(1.0, np.log(max(norm_r / max(norm_b, 1e-30), 1e-30)) / np.log(_RTOL)))

            kwargs["callback"] = callback
        levels = np.select([trimap == FOREGROUND, trimap == BACKGROUND], [1.0, 0.0], 0.5)
        return estimate(image, levels, laplacian_kwargs=laplacian_kwargs, cg_kwargs=kwargs, **(extra or {}))

    return solve


def _guided(image, mask, trimap, on_iteration):
    src = mask.astype(np.float32)
    alpha = cv2.ximgproc.guidedFilter(image.astype(np.float32), src, 6, 1e-3)
    if on_iteration is not None:
        on_iteration(1.0)
    return alpha


def _solver(method: str):
    if method == "guided":
        return _guided
    # pymatting (and its numba kernels) loads on first use, not with this package
    from pymatting import estimate_alpha_cf, estimate_alpha_knn, estimate_alpha_lkm

    return {
        "cf": _pymatting(estimate_alpha_cf, {"preconditioner": _preconditioner}, epsilon=1e-6),
        "lkm": _pymatting(estimate_alpha_lkm, epsilon=1e-6, radius=5),  # matrix-free
        "knn": _pymatting(estimate_alpha_knn),
    }[method]

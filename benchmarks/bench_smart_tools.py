"""Latency of each smart tool per action on the CPU, at 480x360 and 3840x2160, and the
superpixel libraries measured against each other.

Every tool works in a window around its gesture, so its cost follows the gesture, not the image.
The gestures at 3840x2160 are 4x the size of those at 480x360 (the same hand movement on a 4K
image shown at a quarter of its width). The image is a CamVid val frame (scaled up for 4K) with
the bundled model's labels and confidence as evidence, as in the app. Median of ``--repeat`` runs.

    nice -n 10 .venv/bin/python benchmarks/bench_smart_tools.py --data ../shared/data/camvid

Zoomed re-inference runs the model on the enlarged rectangle: its time is the model's and it
runs in the background, so it is listed apart.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.document.smart.evidence import Evidence  # noqa: E402
from app.document.smart.quick_select import quick_select  # noqa: E402
from app.document.smart.scissors import snap_segment, snapping_polygon_fill  # noqa: E402
from app.document.smart.scribble import resegment  # noqa: E402
from app.document.smart.superpixels import superpixel_fill  # noqa: E402
from app.document.smart.zoom import zoom_labels, zoom_rect  # noqa: E402
from srcrm.data.datasets import open_dataset  # noqa: E402
from srcrm.inference.predictor import Predictor  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    fn()  # warm-up (allocations, OpenCV's first call)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def actions(image, labels, confidence, s: float) -> dict:
    """The gestures at scale ``s`` (1 at 480x360), centred in the image."""
    h, w = labels.shape
    cx, cy = w / 2, h / 2
    ev = Evidence(image, labels, 11, confidence)
    stroke = [(cx - 30 * s, cy), (cx + 30 * s, cy + 10 * s)]
    corners = [
        (cx + 50 * s * np.cos(a), cy + 40 * s * np.sin(a))
        for a in np.linspace(0, 2 * np.pi, 6, endpoint=False)
    ]
    scribbles = [
        (3, [(cx - 40 * s, cy - 20 * s), (cx - 40 * s, cy + 20 * s)]),
        (4, [(cx + 40 * s, cy - 20 * s), (cx + 40 * s, cy + 20 * s)]),
    ]
    return {
        "quick-select drag (60 px, reach 20)": lambda: quick_select(ev, labels, stroke, 5 * s, 4, 20 * s),
        "superpixel click (size 16)": lambda: superpixel_fill(image, labels, [(cx, cy)], 1, int(16 * s), 4),
        "superpixel drag (60 px, size 16)": lambda: superpixel_fill(image, labels, stroke, 1, int(16 * s), 4),
        "scribble re-segment (2 scribbles, 120 px region)": lambda: resegment(
            ev, labels, scribbles, 5 * s, 10 * s
        ),
        "edge-snapping polygon, one corner (one side)": lambda: snap_segment(image, corners[0], corners[1]),
        "edge-snapping polygon, 6 corners filled": lambda: snapping_polygon_fill(image, labels, corners, 4),
    }


def superpixel_table(image: np.ndarray, window: np.ndarray, truth: np.ndarray, repeat: int) -> list[str]:
    """Time of each library at 480x360 and on a 512x512 window of the 4K image (superpixels of
    about 16x16), and boundary recall on the 480x360 frame (share of ground-truth class borders
    within 2 px of a superpixel border)."""
    from skimage.segmentation import felzenszwalb, slic

    def ocv(kind):
        def run(im):
            lab = cv2.cvtColor(im, cv2.COLOR_RGB2Lab)
            h, w = im.shape[:2]
            if kind == "SEEDS":
                sp = cv2.ximgproc.createSuperpixelSEEDS(w, h, 3, max(1, h * w // 256), 4, 2, 5, False)
                sp.iterate(lab, 4)
            elif kind == "LSC":
                sp = cv2.ximgproc.createSuperpixelLSC(lab, 16)
                sp.iterate(5)
            else:
                sp = cv2.ximgproc.createSuperpixelSLIC(lab, getattr(cv2.ximgproc, kind), 16)
                sp.iterate(5)
            return sp.getLabels()

        return run

    methods = {
        "OpenCV ximgproc SEEDS": ocv("SEEDS"),
        "OpenCV ximgproc SLIC (chosen)": ocv("SLIC"),
        "OpenCV ximgproc SLICO": ocv("SLICO"),
        "OpenCV ximgproc LSC": ocv("LSC"),
        "scikit-image SLIC": lambda im: slic(
            im, n_segments=im.shape[0] * im.shape[1] // 256, compactness=10, start_label=0
        ),
        "scikit-image Felzenszwalb": lambda im: felzenszwalb(im, scale=100, sigma=0.5, min_size=50),
    }
    border = _edges(truth.astype(np.int32))
    rows = [
        "| method | ms 480x360 | ms 512x512 window of 4K | segments (480x360) | boundary recall |",
        "|---|---|---|---|---|",
    ]
    for name, fn in methods.items():
        ids = fn(image)
        near = cv2.dilate(_edges(ids).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        recall = near[border].mean()
        rows.append(
            f"| {name} | {median_ms(lambda f=fn: f(image), repeat):.1f} | "
            f"{median_ms(lambda f=fn: f(window), repeat):.1f} | {len(np.unique(ids))} | "
            f"{100 * recall:.1f}% |"
        )
    return rows


def _edges(ids: np.ndarray) -> np.ndarray:
    e = np.zeros(ids.shape, bool)
    e[:, 1:] |= ids[:, 1:] != ids[:, :-1]
    e[1:] |= ids[1:] != ids[:-1]
    return e


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--index", type=int, default=40, help="which image of the split")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    try:
        image, truth = open_dataset(args.data, args.split)[args.index]
    except (FileNotFoundError, ValueError, IndexError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    predictor = Predictor.from_checkpoint(None, device="cpu")
    pred = predictor.predict(image)
    big = cv2.resize(image, (3840, 2160), interpolation=cv2.INTER_CUBIC)
    big_labels = cv2.resize(pred.labels, (3840, 2160), interpolation=cv2.INTER_NEAREST)
    big_conf = cv2.resize(pred.confidence, (3840, 2160), interpolation=cv2.INTER_LINEAR)

    print("| action | ms 480x360 | ms 3840x2160 |\n|---|---|---|")
    small = actions(image, pred.labels, pred.confidence, 1.0)
    large = actions(big, big_labels, big_conf, 4.0)
    for name in small:
        print(
            f"| {name} | {median_ms(small[name], args.repeat):.1f} | "
            f"{median_ms(large[name], args.repeat):.1f} |"
        )
    zoom_ms = []
    for img, side in ((image, 96), (big, 384)):
        h, w = img.shape[:2]
        rect = zoom_rect(img.shape, w / 2 - side / 2, h / 2 - side / 2, w / 2 + side / 2, h / 2 + side / 2)
        zoom_ms.append(median_ms(lambda im=img, r=rect: zoom_labels(predictor.predict, im, r), 3))
    print(
        f"| zoomed re-inference, 96 px square (384 at 4K) at 2x (the model, in the background) | "
        f"{zoom_ms[0]:.1f} | {zoom_ms[1]:.1f} |"
    )
    print()
    window = np.ascontiguousarray(big[824:1336, 1664:2176])
    print("\n".join(superpixel_table(image, window, truth, max(3, args.repeat // 2))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Diagnostic: could any edge-following tool fix the model's wrong regions on CamVid?

    .venv/bin/python benchmarks/edge_oracle.py --data ../shared/data/camvid --split train --images 24

The smart tools (quick-select, superpixels, the snapping polygon, scribbles) all put a border
where the image has an edge. This gives such a tool every advantage a tool could have: for each
of the largest wrong regions of an image it re-draws the border *exactly where the ground truth
puts it* (an oracle a person does not have): a band along the region's side that touches other
true classes, wide enough to hold the region, is re-segmented by a watershed seeded with the
labels just outside it, once over the photo alone and once over the photo blended with the
model's classes (what the tools use). It prints, per variant, the median share of a region made
right and how often at least half of it was (the annotator benchmark's rule for keeping a try),
and the same for a synthetic control: a step edge with the label border 10 px off.

Where the model is wrong, the image rarely has an edge at the true border (or the edge is
elsewhere), so no tool that follows edges can fix those regions in one action.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_annotator import Scene, gain  # noqa: E402

from app.document.smart.evidence import Evidence, EvidenceConfig  # noqa: E402
from app.document.smart.segment import seeded_watershed  # noqa: E402
from app.document.smart.strokes import stroke_mask, window_around  # noqa: E402
from app.document.tools import patch  # noqa: E402
from srcrm.data.datasets import open_dataset  # noqa: E402
from srcrm.inference.predictor import Predictor  # noqa: E402

VARIANTS = {"photo": 0.0, "photo + model": 0.5}  # the evidence's model weight


def true_border(s: Scene, region) -> tuple[list[tuple[float, float]], float] | None:
    """The region's outline where it touches another true class (a polyline), and how far the
    region reaches from it."""
    other = (s.truth != region.cls) & s.valid
    side = region.mask & cv2.dilate(other.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    contours, _ = cv2.findContours(region.mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=len).reshape(-1, 2)
    on = side[contour[:, 1], contour[:, 0]]
    if on.sum() < 3:
        return None
    if not on.all():  # the longest run of the outline on the true border
        start = int(np.argmin(on))
        contour, on = np.roll(contour, -start, 0), np.roll(on, -start)
        edges = np.flatnonzero(np.diff(np.r_[0, on.astype(np.int8), 0]))
        runs = edges.reshape(-1, 2)
        a, b = runs[int(np.argmax(runs[:, 1] - runs[:, 0]))]
        contour = contour[a:b]
    line = cv2.approxPolyDP(contour.reshape(-1, 1, 2).astype(np.int32), 2.0, False).reshape(-1, 2)
    reach = cv2.distanceTransform((~side).astype(np.uint8), cv2.DIST_L2, 5)[region.mask].max()
    return [(float(x) + 0.5, float(y) + 0.5) for x, y in line], float(reach)


def redraw(s: Scene, path, reach: float):
    """Re-segment a band along ``path`` from the labels just outside it."""
    diameter = min(96.0, 2 * reach + 8)
    window = window_around(s.labels.shape, path, diameter / 2 + 2)
    band = stroke_mask(window, path, diameter)
    markers = np.where(band, 0, s.labels[window.slices].astype(np.int32) + 1)
    values = (seeded_watershed(s.evidence.window(window), markers) - 1).astype(np.uint8)
    return patch(s.labels, window, values, band)


def fixed_shares(scenes: list[Scene], per_image: int) -> list[float]:
    shares = []
    for s in scenes:
        s.given_up[...] = False
        for _ in range(per_image):
            region = s.largest_region()
            if region is None:
                break
            s.given_up |= region.mask
            found = true_border(s, region)
            if found is None:  # a hole inside its own class: no border to re-draw
                continue
            edit = redraw(s, *found)
            shares.append(0.0 if edit is None else max(0.0, gain(s, edit) / region.area))
    return shares


def control(weight: float) -> list[Scene]:
    rng = np.random.default_rng(0)
    image = np.zeros((120, 160, 3), np.float32)
    image[:, :80], image[:, 80:] = (200, 50, 50), (50, 50, 200)
    image = np.clip(image + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)
    truth = np.zeros((120, 160), np.uint8)
    truth[:, 80:] = 1
    labels = truth.copy()
    labels[:, 70:80] = 1  # the border 10 px off, the model unsure there
    conf = np.where((np.arange(160) >= 65) & (np.arange(160) < 85), 0.55, 0.95)[None].repeat(120, 0)
    ev = Evidence(image, labels, 2, conf.astype(np.float32), config=EvidenceConfig(model_weight=weight))
    return [Scene(image, truth, labels, ev, 255)]


def report(name: str, shares: list[float]) -> None:
    shares = np.asarray(shares)
    print(
        f"{name}: {len(shares)} regions, median share fixed {np.median(shares):.2f}, "
        f"at least half fixed {np.mean(shares >= 0.5):.0%}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--images", type=int, default=24, help="evenly spaced images")
    ap.add_argument("--regions", type=int, default=10, help="largest wrong regions per image")
    args = ap.parse_args(argv)
    data = open_dataset(args.data, args.split)
    predictor = Predictor.from_checkpoint(None, device="cpu")
    n, ignore = len(predictor.class_names), data.labelset.ignore_index
    picks = np.linspace(0, len(data) - 1, args.images).round().astype(int)
    predicted = []
    for i in picks:
        image, truth = data[int(i)]
        pred = predictor.predict(image)
        predicted.append((image, truth, pred.labels, pred.confidence))
    for name, weight in VARIANTS.items():
        report(f"control, {name}", fixed_shares(control(weight), 1))
        scenes = []
        for image, truth, labels, conf in predicted:
            labels = labels.copy()
            ev = Evidence(image, labels, n, conf, config=EvidenceConfig(model_weight=weight))
            scenes.append(Scene(image, truth, labels, ev, ignore))
        report(f"CamVid {args.split}, {name}", fixed_shares(scenes, args.regions))
    return 0


if __name__ == "__main__":
    sys.exit(main())

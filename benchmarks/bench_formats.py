"""Benchmark: polygon export of a 2048x1024 label map with 19 classes, and the way back;
then the worst case for exports, a checkerboard, written in every polygon format.

    .venv/bin/python benchmarks/bench_formats.py [--repeats 15] [--checkerboard 1024]

Prints the median time of :func:`srcrm.formats.polygonize` (tolerance 0, the exact export for
COCO), of :func:`srcrm.formats.outlines.outline` (the exact export for the other polygon
formats) and of :func:`srcrm.formats.rasterize` on two maps: synthetic Cityscapes-sized blobs,
and real CamVid val labels tiled to 2048x1024 (when ../shared/data/camvid is there). Each is set against a
baseline measured in the same run: per-class ``cv2.findContours`` through pixel centres, and
``cv2.fillPoly``, the usual quick way, which leaves gaps between neighbouring classes; the gap
it leaves is printed too. Target: polygon export under 150 ms.

The checkerboard (``--checkerboard N``: N x N pixels of two classes, every pixel its own region)
is exported to labelme, Cityscapes, YOLO and COCO, each in a fresh process, as
``srcrm convert`` writes them: the wall time and the process's peak memory (max RSS, measured
before the check) are printed, and each file is then read back and compared. Exports stream
shape by shape, so the peak stays near that of the traced outlines themselves.
``--checkerboard 0`` skips it.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from srcrm.formats import polygonize, rasterize  # noqa: E402
from srcrm.formats.outlines import outline  # noqa: E402

HEIGHT, WIDTH, CLASSES = 1024, 2048, 19
TARGET_MS = 150.0


def blob_map(seed: int = 0) -> np.ndarray:
    """Smooth random regions of 19 classes with some fine detail: the argmax of 19 smooth
    random score maps, like a network's prediction on a busy street scene."""
    rng = np.random.default_rng(seed)

    def smooth(cell: int) -> np.ndarray:
        coarse = rng.random((CLASSES, HEIGHT // cell, WIDTH // cell)).astype(np.float32)
        return np.stack([cv2.resize(c, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC) for c in coarse])

    return (smooth(64) + 0.1 * smooth(16)).argmax(0).astype(np.uint8)


def tiled_camvid() -> np.ndarray | None:
    """CamVid val labels tiled to 2048x1024, each tile's 11 classes shifted so all 19 appear;
    CamVid's void (11) stays unlabelled."""
    from srcrm.base.io import read_label_png

    folder = REPO.parent / "shared" / "data" / "camvid" / "val" / "labels"
    paths = sorted(folder.glob("*.png"))
    if not paths:
        return None
    out = np.full((HEIGHT, WIDTH), 255, np.uint8)
    tile = 0
    for top in range(0, HEIGHT, 360):
        for left in range(0, WIDTH, 480):
            labels = read_label_png(paths[(tile * 7) % len(paths)])
            shifted = np.where(labels < 11, (labels.astype(np.int32) + 4 * tile) % CLASSES, 255)
            h, w = min(360, HEIGHT - top), min(480, WIDTH - left)
            out[top : top + h, left : left + w] = shifted[:h, :w]
            tile += 1
    return out


def baseline_polygons(labels: np.ndarray) -> list[shapely.Polygon]:
    """Per class, findContours through pixel centres: fast, but neighbours do not meet."""
    polygons = []
    for value in range(CLASSES):
        contours, hierarchy = cv2.findContours(
            (labels == value).view(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
        )
        for i, c in enumerate(contours):
            if hierarchy[0, i, 3] < 0 and len(c) >= 3:
                holes = [
                    h.reshape(-1, 2)
                    for j, h in enumerate(contours)
                    if hierarchy[0, j, 3] == i and len(h) >= 3
                ]
                polygons.append(shapely.Polygon(c.reshape(-1, 2), holes))
    return polygons


def baseline_fill(labels: np.ndarray) -> np.ndarray:
    out = np.full(labels.shape, 255, np.uint8)
    for value in range(CLASSES):
        contours, _ = cv2.findContours(
            (labels == value).view(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
        )
        cv2.drawContours(out, contours, -1, int(value), thickness=cv2.FILLED)
    return out


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def run(name: str, labels: np.ndarray, repeats: int) -> float:
    coverage = polygonize(labels, CLASSES)
    back = rasterize(coverage.regions, HEIGHT, WIDTH, fill=255)
    polygons = [r.polygon for r in coverage.regions]
    base = baseline_polygons(labels)
    labelled = int((labels < CLASSES).sum())
    gap = labelled - shapely.union_all(shapely.make_valid(base)).area
    our_gap = labelled - shapely.union_all(polygons).area
    export = median_ms(lambda: polygonize(labels, CLASSES), repeats)
    base_export = median_ms(lambda: baseline_polygons(labels), repeats)
    simplified = median_ms(lambda: polygonize(labels, CLASSES, tolerance=1.0), max(3, repeats // 5))
    centres = median_ms(lambda: outline(labels, CLASSES), repeats)
    raster = median_ms(lambda: rasterize(coverage.regions, HEIGHT, WIDTH, fill=255), repeats)
    base_raster = median_ms(lambda: baseline_fill(labels), repeats)
    vertices = int(shapely.get_num_coordinates(polygons).sum())
    print(
        f"\n{name}: {WIDTH}x{HEIGHT}, {len(np.unique(labels[labels < CLASSES]))} classes, "
        f"{len(polygons)} polygons, {vertices:,} vertices"
    )
    print(
        f"  polygon export (tolerance 0):   {export:7.1f} ms   "
        f"baseline {base_export:6.1f} ms  (x{export / base_export:.2f})"
    )
    print(f"  polygon export (tolerance 1):   {simplified:7.1f} ms")
    print(f"  pixel-centre outlines (labelme, Cityscapes, YOLO): {centres:7.1f} ms")
    print(
        f"  rasterise back:                 {raster:7.1f} ms   "
        f"baseline {base_raster:6.1f} ms  (x{raster / base_raster:.2f})"
    )
    print(
        f"  exact round trip: {bool((back == np.where(labels < CLASSES, labels, 255)).all())}; "
        f"gap between classes: {our_gap:.0f} px (baseline {gap:,.0f} px, "
        f"{100 * gap / labelled:.1f}% of labelled pixels)"
    )
    return export


def checkerboard(size: int) -> np.ndarray:
    return (np.indices((size, size)).sum(0) % 2).astype(np.uint8)


def export_checkerboard(fmt: str, size: int, out: Path) -> None:
    """One export, in this (child) process; then read back and compared, after the timing."""
    from srcrm.data.labelsets import LabelSet
    from srcrm.formats import registry
    from srcrm.formats.layout import ExportSettings
    from srcrm.formats.reading import Sample

    labels = checkerboard(size)
    labelset = LabelSet("board", ("white", "black"), ((255, 255, 255), (0, 0, 0)), 2)
    start = time.perf_counter()
    export = registry.get(fmt).export(out, labelset, ExportSettings(), False)
    export.add(Sample("board", labels), None, Path())
    export.finish()
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # before reading back
    label_file = {
        "labelme": "board.json",
        "yolo": "labels/board.txt",
        "coco": "annotations/instances_default.json",
        "cityscapes": "gtFine/default/default/board_gtFine_polygons.json",
    }[fmt]
    back = registry.get(fmt)
    if fmt == "yolo":
        from srcrm.formats import yolo

        samples = [yolo.read(out / label_file, labelset, size, size)]
    else:
        samples = list(back.read(out / label_file, labelset))
    exact = all(getattr(s, "labels", None) is not None and (s.labels == labels).all() for s in samples)
    size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
    print(f"{seconds:.1f} {peak_mb:.0f} {size_mb:.1f} {exact}")


def run_checkerboard(size: int) -> None:
    print(f"\ncheckerboard {size}x{size}: {size * size:,} one-pixel regions, each format in a fresh process")
    for fmt in ("labelme", "cityscapes", "yolo", "coco"):
        with tempfile.TemporaryDirectory() as tmp:
            child = subprocess.run(
                [sys.executable, __file__, "--child", fmt, str(size), tmp],
                capture_output=True,
                text=True,
                check=False,
            )
        output = child.stdout.split()
        if child.returncode or len(output) != 4:
            print(f"  {fmt:10s} failed (exit {child.returncode}): {child.stderr[-300:]}")
            continue
        seconds, peak_mb, size_mb, exact = output
        print(
            f"  {fmt:10s} export {float(seconds):6.1f} s   peak memory {peak_mb:>5s} MB   "
            f"files {float(size_mb):6.1f} MB   reads back exactly: {exact}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument(
        "--checkerboard",
        type=int,
        default=1024,
        metavar="N",
        help="size of the checkerboard export case; 0 skips it",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        export_checkerboard(args.child[0], int(args.child[1]), Path(args.child[2]))
        return 0
    if args.checkerboard:
        run_checkerboard(args.checkerboard)
    export = run("blobs", blob_map(), args.repeats)
    camvid = tiled_camvid()
    if camvid is not None:
        run("CamVid val, tiled", camvid, args.repeats)
    verdict = "meets" if export < TARGET_MS else "MISSES"
    print(f"\npolygon export, blobs: {export:.1f} ms, {verdict} the {TARGET_MS:.0f} ms target")
    return 0 if export < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())

"""Canvas speed on a 3840x2160 image: one brush dab vs a full overlay refresh.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_canvas.py [--dabs 300] [--size 32]

A *dab* is what one mouse move does while painting: the brush edit on the label map (with its
undo snapshot), recolouring the dirty rectangle of the overlay buffer, and Qt repainting that
rectangle of the view. A *full refresh* recolours the whole overlay and repaints the whole view
(what a class colour change costs). The baseline is what pyqtgraph's ``ImageItem.setImage``
costs for the same overlay, i.e. the naive way to show an edit. Medians in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6 import QtWidgets  # noqa: E402

from app.canvas import BufferImageItem, Canvas  # noqa: E402
from app.document import ClassTable, LabelDocument  # noqa: E402
from app.document.editor import Editor  # noqa: E402

W, H = 3840, 2160


def scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    image = np.stack([(xx * 255 // W), (yy * 255 // H), ((xx + yy) * 255 // (W + H))], -1).astype(np.uint8)
    image = np.clip(image.astype(np.int16) + rng.integers(-20, 20, image.shape), 0, 255).astype(np.uint8)
    labels = ((xx // 480) + 3 * (yy // 540)).astype(np.uint8) % 11  # 8x4 blocks of classes
    return image, labels


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dabs", type=int, default=300)
    parser.add_argument("--size", type=int, default=32, help="brush diameter in image pixels")
    parser.add_argument("--refreshes", type=int, default=15)
    args = parser.parse_args(argv)

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    image, labels = scene()
    doc = LabelDocument(image, labels, classes=ClassTable.default())
    editor = Editor()
    canvas = Canvas(editor)
    canvas.resize(1600, 900)
    canvas.show()
    editor.set_document(doc)
    canvas.set_document(doc)
    canvas.fit_to_window()
    paints = {"n": 0}
    original_paint = BufferImageItem.paint

    def counting_paint(self, *a):
        paints["n"] += 1
        return original_paint(self, *a)

    BufferImageItem.paint = counting_paint
    for _ in range(5):
        app.processEvents()

    editor.set_brush_size(args.size)
    editor.set_class(7)

    def stroke(y0: float) -> tuple[list[float], list[float], int]:
        """A long wavy stroke, 3 image pixels per mouse move (a quick hand on a 4K image)."""
        t = np.arange(args.dabs + 1)
        xs = 200 + 3.0 * t
        ys = y0 + 60 * np.sin(t / 40)
        model_only, with_paint = [], []
        editor.press(xs[0], ys[0])
        app.processEvents()
        paints["n"] = 0
        for x, y in zip(xs[1:], ys[1:]):
            t0 = time.perf_counter()
            editor.move(x, y)  # edit + undo snapshot + dirty-rect recolour + item.update
            t1 = time.perf_counter()
            app.processEvents()  # Qt repaints the dirty rectangle
            t2 = time.perf_counter()
            model_only.append(t1 - t0)
            with_paint.append(t2 - t0)
        editor.release()
        return model_only, with_paint, paints["n"]

    model_only, with_paint, dab_paints = stroke(H / 2)
    # The same at 100% zoom (1 image pixel = 1 screen pixel), the view following the stroke.
    canvas.set_view_rect([150, H / 4 - 450, canvas.viewport().width(), canvas.viewport().height()])
    app.processEvents()
    _, with_paint_1to1, _ = stroke(H / 4)
    undo_bytes = doc.undo_stack.nbytes
    canvas.fit_to_window()
    app.processEvents()

    full, full_paint = [], []
    for _ in range(args.refreshes):
        t0 = time.perf_counter()
        canvas.renderer.refresh()
        t1 = time.perf_counter()
        canvas.overlay_item.update()
        app.processEvents()
        t2 = time.perf_counter()
        full.append(t1 - t0)
        full_paint.append(t2 - t0)

    # Baselines: the same overlay through pyqtgraph's ImageItem, which re-renders the whole
    # image on every change: the label map with a colour lookup table (the natural way), and
    # a ready RGBA array.
    item = pg.ImageItem(axisOrder="row-major")
    canvas.vb.addItem(item)
    lut = np.zeros((256, 4), np.uint8)
    lut[:11, :3] = doc.classes.colors
    lut[:11, 3] = 255
    item.setImage(doc.labels, lut=lut, levels=(0, 255), autoLevels=False)
    app.processEvents()
    baseline = []
    for _ in range(max(3, args.refreshes // 3)):
        doc.labels[100, 100] ^= 1  # an edit somewhere
        t0 = time.perf_counter()
        item.setImage(doc.labels, lut=lut, levels=(0, 255), autoLevels=False)
        app.processEvents()
        baseline.append(time.perf_counter() - t0)
    rgba = np.ascontiguousarray(canvas.renderer.buffer[..., [2, 1, 0, 3]])
    baseline_rgba = []
    for _ in range(max(3, args.refreshes // 3)):
        rgba[100, 100, 0] ^= 1
        t0 = time.perf_counter()
        item.setImage(rgba, levels=None, autoLevels=False)
        app.processEvents()
        baseline_rgba.append(time.perf_counter() - t0)

    dab, dab_p, dab_1 = median_ms(model_only), median_ms(with_paint), median_ms(with_paint_1to1)
    full_ms, full_p = median_ms(full), median_ms(full_paint)
    base, base_rgba = median_ms(baseline), median_ms(baseline_rgba)
    print(
        f"SRCRM Studio canvas benchmark: {W}x{H} image, brush {args.size} px, "
        f"{args.dabs} dabs, view {canvas.width()}x{canvas.height()}, {os.cpu_count()} CPUs"
    )
    print(
        f"  brush dab: document + overlay dirty rect         median {dab:7.3f} ms  (p90 "
        f"{1000 * float(np.percentile(model_only, 90)):.3f})"
    )
    print(
        f"  brush dab: + Qt repaint, fit to window           median {dab_p:7.3f} ms  (p90 "
        f"{1000 * float(np.percentile(with_paint, 90)):.3f})  [{dab_paints} item paints]"
    )
    print(
        f"  brush dab: + Qt repaint, 100% zoom               median {dab_1:7.3f} ms  (p90 "
        f"{1000 * float(np.percentile(with_paint_1to1, 90)):.3f})"
    )
    print(f"  full overlay refresh: recolour only              median {full_ms:7.3f} ms")
    print(f"  full overlay refresh: + full repaint             median {full_p:7.3f} ms")
    print(f"  baseline: pyqtgraph ImageItem(labels, lut)       median {base:7.3f} ms")
    print(f"  baseline: pyqtgraph ImageItem(RGBA)             median {base_rgba:7.3f} ms")
    print(f"  ratio full refresh / dab                         {full_p / dab_p:7.0f}x")
    print(f"  ratio pyqtgraph ImageItem(labels, lut) / dab     {base / dab_p:7.0f}x")
    print(
        f"  undo memory for both strokes                     {undo_bytes / 1e6:.2f} MB "
        f"(the label map is {W * H / 1e6:.1f} MB)"
    )
    target = 5.0
    worst = max(dab_p, dab_1)
    print(f"  target: a dab under {target} ms -> {'PASS' if worst < target else 'MISS'} ({worst:.3f} ms)")
    canvas.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

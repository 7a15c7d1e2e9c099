"""Label files, folders and videos from the command line. Under ``torchrun`` each rank takes
its share of the image inputs, so a folder is spread across the GPUs; a video runs in one
process, as a pipeline (:func:`srcrm.video.prelabel_video`)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
from tqdm import tqdm

from srcrm.device import pick_device
from srcrm.io import ImageReadError, atomic_write_bytes, read_image, write_png
from srcrm.overlay import blend
from srcrm.predictor import Predictor
from srcrm.suffixes import IMAGE_SUFFIXES
from srcrm.train.distributed import init_distributed, local_device, shard
from srcrm.video import (
    VIDEO_SUFFIXES,
    FrameLabelStore,
    open_source,
    prelabel_video,
    write_overlay_video,
)


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def collect_images(inputs: list[str]) -> list[Path]:
    """Image files named directly, and the images inside named folders (sorted)."""
    found = []
    for item in map(Path, inputs):
        if item.is_dir():
            found += sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif item.exists():
            found.append(item)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return found


def predict_paths(inputs: list[str], out: Path, checkpoint=None, device: str = "auto",
                  overlays: bool = True) -> int:
    """Write ``out/NAME.png`` label maps (and ``out/overlays/NAME.jpg``). Returns an exit code:
    unreadable inputs are reported and skipped, and make it non-zero."""
    info = init_distributed(pick_device(device))
    predictor = Predictor.from_checkpoint(checkpoint, local_device(pick_device(device), info))
    images = shard(collect_images(inputs), info)
    failures = 0
    for path in tqdm(images, desc=f"predict ({predictor.device_name})", disable=not info.is_main):
        try:
            image = read_image(path)
        except ImageReadError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
            failures += 1
            continue
        labels = predictor.predict(image).labels
        write_png(out / f"{path.stem}.png", labels)
        if overlays:
            ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(blend(image, labels, predictor.palette),
                                                        cv2.COLOR_RGB2BGR))
            atomic_write_bytes(out / "overlays" / f"{path.stem}.jpg", jpg.tobytes())
    return 1 if failures else 0


def predict_video(path: Path, out: Path, checkpoint=None, device: str = "auto",
                  overlays: bool = True) -> int:
    """Write ``out/NNNNNN.png`` for every frame (zero-based index) and, with ``overlays``,
    ``out/overlay.mp4``. A stopped run resumes: frames already in ``out`` are not redone."""
    model = str(checkpoint) if checkpoint else "default model"
    with open_source(path) as source:  # a bad video fails before the model loads
        store = FrameLabelStore(out, source.frame_count, (source.height, source.width))
        predictor = Predictor.from_checkpoint(checkpoint, pick_device(device))
        if store.model not in (None, model):
            print(f"note: {out} holds frames labelled by {store.model}; they are kept (delete "
                  "them to label again with this model)", file=sys.stderr)
        store.model = store.model or model
        with tqdm(total=source.frame_count, unit="frame",
                  desc=f"predict {source.name} ({predictor.device_name})") as bar:
            def show(p) -> None:
                bar.n = source.frame_count - p.total + p.done
                bar.set_postfix(fps=f"{p.frames_per_s:.1f}", refresh=True)

            summary = prelabel_video(source, store, predictor, on_progress=show)
        print(f"labelled {summary.labelled} frames ({summary.skipped} were already done) "
              f"in {out}")
        if overlays:
            with tqdm(total=source.frame_count, unit="frame", desc="overlay video") as bar:
                write_overlay_video(source, store, predictor.palette, out / "overlay.mp4",
                                    on_progress=lambda done, _: bar.update(done - bar.n))
    return 0

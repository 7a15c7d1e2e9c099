"""Label files and folders from the command line. Under ``torchrun`` each rank takes its share
of the inputs, so a folder is spread across the GPUs."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
from tqdm import tqdm

from srcrm.data.datasets import IMAGE_SUFFIXES
from srcrm.device import pick_device
from srcrm.io import ImageReadError, atomic_write_bytes, read_image, write_png
from srcrm.overlay import blend
from srcrm.predictor import Predictor
from srcrm.train.distributed import init_distributed, local_device, shard


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

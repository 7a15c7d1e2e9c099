"""Runs datumaro in its own environment (``make`` installs it in ``.venv/interop``: it needs
Pillow 12, this project pins 13): ``python datumaro_driver.py JOBS.json``, where the file holds
a list of jobs, done in order in one process (datumaro takes a second to start).

* ``{"op": "export", "maps": NPZ, "names": [...], "colours": [[r, g, b], ...] | null,
  "format": "cityscapes" | "voc_segmentation", "out": DIR, "options": {...}}``: a dataset of
  the label maps in NPZ (one array per image, the value a class index, 255 none), written by
  datumaro's own exporter with ``options`` (``label_map``, ``apply_colormap``) and the images.
* ``{"op": "import", "dir": DIR, "format": ..., "out": NPZ}``: the dataset as datumaro reads
  it back, saved as one array per image id: the index of its label in ``names`` (saved under
  ``__names__``) for every pixel, -1 where no mask covers it.

Only datumaro and numpy are imported here, never srcrm.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from datumaro.components.annotation import AnnotationType, LabelCategories, Mask, MaskCategories
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image
from datumaro.plugins.data_formats.cityscapes import CITYSCAPES_LABEL_MAP


def export(job: dict) -> None:
    """``names`` "cityscapes" are datumaro's own Cityscapes labels (its label_map=cityscapes
    needs a source with at least as many labels: with fewer it fails on a missing background)."""
    maps = np.load(job["maps"])
    names = list(CITYSCAPES_LABEL_MAP) if job["names"] == "cityscapes" else job["names"]
    categories = {AnnotationType.label: LabelCategories.from_iterable(names)}
    if job.get("colours"):
        categories[AnnotationType.mask] = MaskCategories({i: tuple(c) for i, c in enumerate(job["colours"])})
    items = []
    for name in maps.files:
        labels = maps[name].astype(np.int64)
        image = np.dstack([labels * 3 % 256, labels * 7 % 256, labels * 11 % 256]).astype(np.uint8)
        masks = [Mask(image=labels == c, label=int(c)) for c in np.unique(labels) if c != 255]
        items.append(DatasetItem(id=name, subset="default", media=Image.from_numpy(image), annotations=masks))
    dataset = Dataset.from_iterable(items, categories=categories)
    dataset.export(job["out"], job["format"], save_media=True, **job.get("options", {}))


def import_(job: dict) -> None:
    dataset = Dataset.import_from(job["dir"], job["format"])
    names = [c.name for c in dataset.categories()[AnnotationType.label]]
    out = {"__names__": np.array(names)}
    for item in dataset:
        labels = None
        for mask in item.annotations:
            if mask.type != AnnotationType.mask:
                continue
            image = mask.image
            labels = np.full(image.shape, -1, np.int32) if labels is None else labels
            labels[image.astype(bool)] = mask.label
        if labels is None:
            labels = np.full(item.media.data.shape[:2], -1, np.int32)
        out[item.id] = labels
    np.savez(job["out"], **out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        for job in json.load(fh):
            {"export": export, "import": import_}[job["op"]](job)

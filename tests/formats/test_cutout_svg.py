"""Cut-outs and SVG for editors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import shapely

from srcrm.base.io import read_image
from srcrm.formats import cutout, polygonize, svg


def test_cutout_is_the_region_cropped_with_its_alpha(tmp_path):
    image = np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    mask = np.zeros((20, 30), bool)
    mask[5:12, 8:20] = True
    rgba = cutout.cutout(image, mask)
    assert rgba.shape == (7, 12, 4)
    assert (rgba[..., 3] == 255).all() and (rgba[..., :3] == image[5:12, 8:20]).all()
    full = cutout.cutout(image, mask, crop=False)
    assert (full[..., 3] == np.where(mask, 255, 0)).all()
    cutout.write(tmp_path / "c.png", image, mask)
    assert read_image(tmp_path / "c.png").shape == (7, 12, 3)
    with pytest.raises(ValueError, match="empty"):
        cutout.cutout(image, np.zeros_like(mask))


def test_feathering_softens_only_the_edge():
    image = np.full((40, 40, 3), 200, np.uint8)
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    alpha = cutout.cutout(image, mask, feather=4, crop=False)[..., 3].astype(int)
    assert alpha[20, 20] == 255 and alpha[0, 0] == 0
    row = alpha[20, 4:20]
    assert (np.diff(row) >= 0).all() and 0 < row[6] < 255  # a ramp across the boundary at 10
    assert 100 < alpha[20, 10] < 160 and 100 < alpha[20, 9] < 160  # half-way at the edge


def test_svg_has_one_evenodd_path_per_class_that_redraws_the_regions(tricky_map, labelset):
    coverage = polygonize(tricky_map, 11)
    root = ET.fromstring(svg.to_svg(coverage, labelset))
    assert root.get("viewBox") == "0 0 14 13"
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert [p.get("id") for p in paths] == ["class-0", "class-1", "class-3", "class-5", "class-8"]
    road = next(p for p in paths if p.get("id") == "class-3")
    assert road.get("fill") == "#804080" and road.get("fill-rule") == "evenodd"
    assert road.find("{http://www.w3.org/2000/svg}title").text == "road"
    rings = [
        np.array(re.findall(r"(-?[\d.]+) (-?[\d.]+)", part), float)
        for part in road.get("d").split("Z")
        if part.strip()
    ]
    area = sum(shapely.Polygon(r).area for r in rings[:1]) - sum(shapely.Polygon(r).area for r in rings[1:])
    assert area == (tricky_map == 3).sum()
    only_cars = ET.fromstring(svg.to_svg(coverage, labelset, classes=[8]))
    assert len(only_cars.findall("{http://www.w3.org/2000/svg}path")) == 1

"""Polygons with holes for formats without holes: shells in painter's order.

labelme, Cityscapes and YOLO store plain rings and paint them in order (YOLO's trainer sorts
by area, which is the same order here). Each region becomes its shell alone, and shells are
sorted by area, largest first: whatever fills a hole lies inside it, so it has a smaller shell
and is painted later, over the shell that covers the hole. Unlabelled pieces that sit in a hole
are emitted too (``class_id`` None) so that painting them as "no class" reopens the hole.
Painting the layers in order gives back the same label map as the polygons with holes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import shapely

from srcrm.formats.polygons import Coverage


class Layer(NamedTuple):
    class_id: int | None  # None: unlabelled, paints the ignore index
    ring: np.ndarray  # (N, 2) shell coordinates, not closed (first point not repeated)


def layers(coverage: Coverage, *, unlabelled: bool = True) -> list[Layer]:
    """The coverage's shells, largest first. ``unlabelled=False`` leaves out the unlabelled
    pieces, for formats that have no name for them (their holes then take the region's class)."""
    items = [(r.class_id, r.polygon.exterior) for r in coverage.regions]
    if unlabelled and coverage.unlabelled:
        holes = [shapely.Polygon(ring) for r in coverage.regions for ring in r.polygon.interiors]
        if holes:
            inside, _ = shapely.STRtree(holes).query(list(coverage.unlabelled), predicate="within")
            items += [(None, coverage.unlabelled[i].exterior) for i in np.unique(inside)]
    shells = [ring for _, ring in items]
    order = np.argsort(-shapely.area(shapely.polygons(shells)), kind="stable") if items else []
    return [Layer(items[i][0], shapely.get_coordinates(items[i][1])[:-1]) for i in order]

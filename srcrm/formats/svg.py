"""SVG paths of label polygons, for vector and media editors.

One ``<path>`` per class, filled with the class colour, with ``fill-rule="evenodd"`` so holes
stay open; the document's size and ``viewBox`` are the image's, in pixels, so it lines up when
placed over the image.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

import shapely

from srcrm.base.io import atomic_write_text
from srcrm.data.labelsets import LabelSet
from srcrm.formats.polygons import Coverage


def path_data(geometry: shapely.Geometry) -> str:
    """The ``d`` attribute of a Polygon or MultiPolygon: one ``M ... Z`` per ring."""
    parts = []
    for ring in shapely.get_rings(shapely.get_parts(geometry)):
        xy = shapely.get_coordinates(ring)[:-1]
        parts.append("M" + " L".join(f"{x:g} {y:g}" for x, y in xy) + " Z")
    return " ".join(parts)


def to_svg(coverage: Coverage, labelset: LabelSet, classes: Iterable[int] | None = None) -> str:
    """An SVG document of the coverage's regions, of all classes or of ``classes`` only."""
    wanted = set(range(labelset.num_classes) if classes is None else classes)
    by_class: dict[int, list[shapely.Polygon]] = {}
    for region in coverage.regions:
        if region.class_id in wanted:
            by_class.setdefault(region.class_id, []).append(region.polygon)
    w, h = coverage.width, coverage.height
    lines = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">')]
    for class_id in sorted(by_class):
        name = labelset.class_names[class_id]
        r, g, b = labelset.palette[class_id]
        lines.append(
            f"  <path id={quoteattr(f'class-{class_id}')} "
            f'fill="#{r:02x}{g:02x}{b:02x}" fill-rule="evenodd" '
            f'd="{path_data(shapely.multipolygons(by_class[class_id]))}">'
            f"<title>{escape(name)}</title></path>"
        )
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def write(
    path: str | os.PathLike, coverage: Coverage, labelset: LabelSet, classes: Iterable[int] | None = None
) -> None:
    atomic_write_text(path, to_svg(coverage, labelset, classes))

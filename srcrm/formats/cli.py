"""``srcrm convert``: label format conversion from the command line."""

from __future__ import annotations

import argparse
import sys

from srcrm.formats.classes import read_classes
from srcrm.formats.convert import convert
from srcrm.formats.layout import ExportSettings
from srcrm.formats.registry import SOURCES, TARGETS


def register(subparsers) -> None:
    """Add the ``convert`` sub-command to an argparse subparsers object."""
    p = subparsers.add_parser(
        "convert",
        help="convert labels between PNG, labelme, COCO, YOLO, Cityscapes and VOC",
        description="Convert one label file or a folder of them. The source format is "
        "detected; --from overrides it. Class names are matched by name: they come "
        "from --classes, else from the source (a classes.txt or labels.txt in it, "
        "COCO categories, YOLO data.yaml, VOC labelmap.txt, or the labels its files "
        "use, sorted), and are written to classes.txt with the output. Folders are "
        "written in the layout the target's tools look for, images copied. Files "
        "that fail are reported and the others converted; the exit code is 1 if "
        "any failed.",
    )
    p.add_argument("src", help="a label file or a folder of them")
    p.add_argument("dst", help="output folder, or output file for a single image (or COCO)")
    p.add_argument("--to", required=True, choices=TARGETS, help="target format")
    p.add_argument("--from", dest="source_format", choices=SOURCES, help="source format (default: detected)")
    p.add_argument("--classes", help="class names, one per line (line number - 1 = class id)")
    p.add_argument(
        "--ignore-index",
        type=int,
        default=None,
        help="label value of unlabelled pixels (default: the number of classes)",
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="polygon simplification in pixels; 0 keeps polygons exact (default)",
    )
    p.add_argument(
        "--min-area",
        type=float,
        default=0.0,
        help="merge pieces smaller than this many pixels into their neighbours",
    )
    p.add_argument("--rle", action="store_true", help="COCO: write every object as RLE")
    p.add_argument(
        "--subset",
        default="default",
        help="split name in the layouts that have one (COCO instances_SUBSET.json, "
        "VOC ImageSets, Cityscapes gtFine/SUBSET); default: default",
    )
    p.add_argument("--no-images", action="store_true", help="do not copy the images into the output layout")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    labelset = read_classes(args.classes, args.ignore_index) if args.classes else None
    settings = ExportSettings(
        tolerance=args.tolerance,
        min_area=args.min_area,
        rle_all=args.rle,
        subset=args.subset,
        copy_images=not args.no_images,
    )
    report = convert(
        args.src,
        args.dst,
        args.to,
        source_format=args.source_format,
        labelset=labelset,
        ignore_index=args.ignore_index,
        settings=settings,
        progress=not args.no_progress,
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"wrote {len(report.written)} files; {len(report.errors)} failed")
    return 1 if report.errors else 0

"""``srcrm cutout``: an RGBA cut-out of a mask or of one class of a label map, optionally with
its edge refined by matting."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from srcrm.matting.alpha import METHODS

    p = subparsers.add_parser(
        "cutout",
        help="RGBA cut-out of a mask or a class, optionally refined by matting",
        description="Cut a region out of IMAGE as an RGBA PNG with straight alpha. The region "
        "is --mask (one channel, nonzero inside) or --class NAME of --labels. "
        "--refine solves the alpha in a band around the rim by matting and removes "
        "the old background's colour from the soft edge.",
    )
    p.add_argument("image", help="the image to cut from")
    region = p.add_mutually_exclusive_group(required=True)
    region.add_argument("--mask", help="a single-channel PNG, nonzero inside")
    region.add_argument("--class", dest="class_name", help="a class name (or id) of the --labels map")
    p.add_argument("--labels", help="label map PNG of class ids (with --class)")
    p.add_argument("--classes", help="class names, one per line (default: the bundled model's)")
    p.add_argument("--out", required=True, help="the RGBA PNG to write")
    p.add_argument("--matte", help="also write the alpha alone as a greyscale PNG (image size)")
    p.add_argument("--refine", action="store_true", help="refine the edge by alpha matting")
    p.add_argument(
        "--band",
        type=int,
        default=8,
        help="with --refine: unknown band in px either side of the rim (default 8)",
    )
    p.add_argument(
        "--method",
        default="cf",
        choices=METHODS,
        help="with --refine: matting method (default cf, closed-form)",
    )
    p.add_argument("--feather", type=float, default=0.0, help="Gaussian feather in px")
    p.add_argument("--no-crop", action="store_true", help="keep the image size")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from srcrm.base.io import read_image, write_png
    from srcrm.base.outputs import refuse_aliasing
    from srcrm.formats import cutout
    from srcrm.matting import RefineConfig, check_edge_widths

    refuse_aliasing([args.out, args.matte], [args.image, args.mask, args.labels, args.classes])
    image = read_image(args.image)
    check_edge_widths(image.shape, feather=args.feather, band=args.band)
    mask = _region(args)
    refine_with = RefineConfig(band=args.band, method=args.method) if args.refine else None
    matte = cutout.make_matte(image, mask, feather=args.feather, refine_with=refine_with)
    write_png(args.out, cutout.rgba(matte, crop=not args.no_crop))
    if args.matte:
        cutout.write_matte(args.matte, matte)
    print(f"wrote {args.out}" + (f" and {args.matte}" if args.matte else ""))
    return 0


def _region(args: argparse.Namespace):
    from srcrm.formats import masks

    if args.mask:
        if args.labels:
            raise ValueError("--labels goes with --class, not with --mask")
        return masks.read_values(args.mask) != 0
    if not args.labels:
        raise ValueError("--class needs --labels LABELS.png")
    class_id = _class_id(args.class_name, args.classes)
    labels = masks.read_values(args.labels)
    mask = labels == class_id
    if not mask.any() and labels.size:
        raise ValueError(f"{args.labels} has no pixels of class {args.class_name!r}")
    return mask


def _class_id(name: str, classes_path: str | None) -> int:
    from srcrm.data.labelsets import CAMVID
    from srcrm.formats.classes import ClassLookup, read_classes

    lookup = ClassLookup(read_classes(classes_path) if classes_path else CAMVID)
    found = lookup.get(name)
    if found is None and name.isdigit():
        found = int(name)
    if found is None:
        raise ValueError(lookup.unknown_message(name))
    return found

"""Label files, folders and videos from the command line. Under ``torchrun`` each rank takes
its share of the image inputs, so a folder is spread across the GPUs; a video runs in one
process, as a pipeline (:func:`srcrm.video.prelabel_video`)."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from srcrm.base.device import pick_device
from srcrm.base.folder_lock import exclusive
from srcrm.base.io import ImageReadError, read_image, write_jpeg, write_png
from srcrm.base.outputs import refuse_aliasing
from srcrm.base.suffixes import IMAGE_SUFFIXES
from srcrm.inference.overlay import blend
from srcrm.inference.predictor import Predictor
from srcrm.train.distributed import init_distributed, local_device, shard
from srcrm.video import (
    VIDEO_SUFFIXES,
    FrameLabelStore,
    VideoFileSource,
    open_source,
    prelabel_video,
    write_overlay_video,
)
from srcrm.video.fingerprint import fingerprint
from srcrm.video.label_store import META_FILE


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def collect_images(inputs: list[str]) -> list[Path]:
    """Image files named directly, and the images inside named folders (sorted). A name that
    is there but cannot be opened (a symbolic link loop, no permission) is kept: reading it
    fails, and that image alone is skipped, named."""
    found = []
    for item in map(Path, inputs):
        if item.is_dir():
            found += sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif os.path.lexists(item):
            found.append(item)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return found


def plan_outputs(images: list[Path], out: Path, inputs: list[str]) -> dict[Path, str]:
    """The output name (without ``.png``) of every image, checked before anything is written.

    ``NAME.png`` normally; images that share a stem (``a.jpg`` and ``a.png``) keep their
    extension (``a.jpg.png``, ``a.png.png``) so neither replaces the other. Raises ValueError
    when two inputs would still write one file (the same name in two folders), or when an
    output would overwrite an input or land among the inputs (:mod:`srcrm.base.outputs`)."""
    stems = Counter(p.stem for p in images)
    names = {p: p.stem if stems[p.stem] == 1 else p.name for p in images}
    by_name: dict[str, list[Path]] = {}
    for path, name in names.items():
        by_name.setdefault(name, []).append(path)
    clashes = [paths for paths in by_name.values() if len(paths) > 1]
    if clashes:
        shown = "; ".join(" and ".join(map(str, paths)) for paths in clashes[:3])
        raise ValueError(
            f"inputs with the same name would write the same output ({shown}): "
            f"label them in separate runs, with separate --out folders"
        )
    targets = [out / f"{name}.png" for name in names.values()]
    targets += [out / "overlays" / f"{name}.jpg" for name in names.values()]
    refuse_aliasing(targets, [*images, *(i for i in inputs if os.path.isdir(i))])
    return names


def say_timing(done: int, total: int, path: str) -> None:
    """The first run on a CPU times its inference paths (up to a minute, once): say so."""
    if path:
        print(f"first run on this CPU: timing inference path {done + 1} of {total} ({path})", file=sys.stderr)


def predict_paths(
    inputs: list[str], out: Path, checkpoint=None, device: str = "auto", overlays: bool = True
) -> int:
    """Write ``out/NAME.png`` label maps (and ``out/overlays/NAME.jpg``); see
    :func:`plan_outputs` for the names. Returns an exit code: an unreadable input (corrupt,
    or declaring more pixels than :mod:`srcrm.base.limits` allows) gets an ``error:`` line and is
    skipped, and makes it 1. An output that cannot be written (a full disk) raises OSError."""
    images = collect_images(inputs)
    names = plan_outputs(images, out, inputs)
    info = init_distributed(pick_device(device))
    predictor = Predictor.from_checkpoint(checkpoint, local_device(pick_device(device), info), say_timing)
    failures = 0
    for path in tqdm(
        shard(images, info), desc=f"predict ({predictor.device_name})", disable=not info.is_main
    ):
        try:
            image = read_image(path)
        except ImageReadError as exc:
            tqdm.write(f"error: {exc} (skipped)", file=sys.stderr)
            failures += 1
            continue
        labels = predictor.predict(image).labels
        write_png(out / f"{names[path]}.png", labels)
        if overlays:
            write_jpeg(out / "overlays" / f"{names[path]}.jpg", blend(image, labels, predictor.palette))
    return 1 if failures else 0


def predict_video(path: Path, out: Path, checkpoint=None, device: str = "auto", overlays: bool = True) -> int:
    """Write ``out/NNNNNN.png`` for every frame (zero-based index) and, with ``overlays``,
    ``out/overlay.mp4``. A stopped run resumes: frames already in ``out`` are not redone, when
    they are of this video (the folder records its content fingerprint; another video's folder
    is refused, whatever its frame size and count). One run at a time may write into ``out``.
    The video is labelled to its true end whatever its header claims (noted); frames that
    cannot be decoded get an ``error:`` line each and make the exit code 1."""
    refuse_aliasing([out / "overlay.mp4", out / META_FILE], [path])
    model = str(checkpoint) if checkpoint else "default model"
    with open_source(path) as source, exclusive(out, "srcrm predict"):  # a bad video fails first
        store = FrameLabelStore(
            out, source.frame_count, (source.height, source.width), source=fingerprint(path)
        )
        predictor = Predictor.from_checkpoint(checkpoint, pick_device(device), say_timing)
        if store.model not in (None, model):
            print(
                f"note: {out} holds frames labelled by {store.model}; they are kept (delete "
                "them to label again with this model)",
                file=sys.stderr,
            )
        store.model = store.model or model
        with tqdm(unit="frame", desc=f"predict {source.name} ({predictor.device_name})") as bar:

            def show(p) -> None:
                bar.total, bar.n = p.total, p.done
                bar.set_postfix(fps=f"{p.frames_per_s:.1f}", refresh=True)

            summary = prelabel_video(source, store, predictor, on_progress=show)
        print(f"labelled {summary.labelled} frames ({summary.skipped} were already done) in {out}")
        # Only a video file's header can claim another count than the frames there are.
        claimed = source.claimed_frame_count if isinstance(source, VideoFileSource) else source.frame_count
        if summary.truncated:
            print(
                f"note: {path} ends after frame {summary.frame_count - 1} although its header "
                f"says {claimed} frames (truncated or damaged file); every "
                f"frame up to the end is labelled",
                file=sys.stderr,
            )
        if summary.longer:
            print(
                f"note: {path} holds {summary.frame_count} frames although its header says "
                f"{claimed}; all {summary.frame_count} are labelled",
                file=sys.stderr,
            )
        for why in summary.damaged.values():
            print(f"error: {why} (skipped)", file=sys.stderr)
        if overlays:
            with tqdm(total=source.frame_count, unit="frame", desc="overlay video") as bar:
                write_overlay_video(
                    source,
                    store,
                    predictor.palette,
                    out / "overlay.mp4",
                    on_progress=lambda done, _: bar.update(done - bar.n),
                )
    return 1 if summary.damaged else 0

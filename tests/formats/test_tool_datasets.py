"""Whole datasets as the other tools write them, imported by ``srcrm convert`` exactly, and ours
opened by those tools exactly: every pixel carries the same class name (or none) in both. The
tools are run as :mod:`interop_tools` says; datumaro's datasets are made once per module."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from hostile_tools import convert_cli
from interop_tools import (
    cityscapes_color_image,
    datumaro,
    labelme2voc,
    ultralytics,
    ultralytics_masks,
)
from PIL import Image

from srcrm.base.io import read_label_png, write_png
from srcrm.data.labelsets import CAMVID
from srcrm.formats import cityscapes
from srcrm.formats.classes import name_key

NONE = ("", "background", "void", "unlabeled", "__ignore__")  # what "no class" is called
# Cityscapes label ids for CamVid's classes, in CamVid order (datumaro's label_map=cityscapes).
CITYSCAPES_IDS = [23, 11, 17, 7, 8, 21, 20, 13, 26, 24, 25]


@pytest.fixture(scope="module")
def maps(request) -> dict[str, np.ndarray]:
    """Blocky scenes of every CamVid class and void (11), and two CamVid label maps."""
    rng = np.random.default_rng(23)
    out = {
        f"s{i}": np.kron(rng.integers(0, 12, (6, 8)), np.ones((5, 6), int)).astype(np.uint8) for i in range(3)
    }
    try:
        for path in request.getfixturevalue("camvid_val_labels")[:2]:
            out[path.stem] = read_label_png(path)
    except pytest.skip.Exception:
        pass
    return out


def named(values: np.ndarray, names) -> np.ndarray:
    """Each pixel's class name, "" where none (values past the names, negative, or a name in
    :data:`NONE`)."""
    table = np.array([("" if n in NONE else n) for n in names] + [""] * (256 - len(names)), object)
    return table[np.where((values >= 0) & (values < len(names)), values, 255)]


def theirs(npz) -> dict[str, np.ndarray]:
    """What datumaro read: image name (its item id without the city) -> class name per pixel."""
    names = list(npz["__names__"])
    return {k.split("/")[-1]: named(npz[k], names) for k in npz.files if k != "__names__"}


def ours(folder) -> dict[str, np.ndarray]:
    """What ``srcrm convert --to png`` wrote: image name -> class name per pixel."""
    names = (folder / "classes.txt").read_text().splitlines()
    return {p.stem: named(read_label_png(p).astype(int), names) for p in folder.rglob("*.png")}


def off(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> int:
    """Pixels whose class differs, over the images both have (which must be the same)."""
    assert a and sorted(a) == sorted(b)
    return sum(int((a[k] != b[k]).sum()) for k in a)


@pytest.fixture(scope="module")
def written(tmp_path_factory, maps):
    """datumaro's own exports of the scenes, and what datumaro reads back from each."""
    root = tmp_path_factory.mktemp("datumaro")
    np.savez(root / "camvid.npz", **{k: np.where(m < 11, m, 255) for k, m in maps.items()})
    ids = np.array([*CITYSCAPES_IDS, *[255] * 245])
    np.savez(root / "cs.npz", **{k: ids[m] for k, m in maps.items()})
    palette = [list(c) for c in CAMVID.palette]
    camvid = {"maps": str(root / "camvid.npz"), "names": list(CAMVID.class_names)}
    cases = {
        "cityscapes-source": {**camvid, "format": "cityscapes", "options": {"label_map": "source"}},
        "cityscapes-source-colours": {
            **camvid,
            "colours": palette,
            "format": "cityscapes",
            "options": {"label_map": "source"},
        },
        "cityscapes-cityscapes": {
            "maps": str(root / "cs.npz"),
            "names": "cityscapes",
            "format": "cityscapes",
            "options": {"label_map": "cityscapes"},
        },
        "voc": {**camvid, "format": "voc_segmentation"},
        "voc-colours": {**camvid, "colours": palette, "format": "voc_segmentation"},
        "voc-indices": {**camvid, "format": "voc_segmentation", "options": {"apply_colormap": False}},
    }
    jobs = []
    for case, job in cases.items():
        jobs.append({**job, "op": "export", "out": str(root / case)})
        jobs.append(
            {
                "op": "import",
                "dir": str(root / case),
                "format": job["format"],
                "out": str(root / f"{case}.npz"),
            }
        )
    datumaro(jobs, root)
    return root


@pytest.mark.parametrize(
    "case",
    [
        "cityscapes-source",
        "cityscapes-source-colours",
        "cityscapes-cityscapes",
        "voc",
        "voc-colours",
        "voc-indices",
    ],
)
def test_datasets_datumaro_writes_import_exactly(tmp_path, capsys, written, case):
    code, err = convert_cli(capsys, written / case, tmp_path / "out", "--to", "png")
    assert code == 0 and not [line for line in err if line.startswith("error:")]
    assert off(ours(tmp_path / "out"), theirs(np.load(written / f"{case}.npz"))) == 0


def test_a_class_list_given_maps_by_name_not_by_position(tmp_path, capsys, written):
    (tmp_path / "classes.txt").write_text("".join(f"{n}\n" for n in reversed(CAMVID.class_names)))
    args = ("--to", "png", "--classes", tmp_path / "classes.txt")
    code, _ = convert_cli(capsys, written / "cityscapes-source-colours", tmp_path / "out", *args)
    assert code == 0
    assert off(ours(tmp_path / "out"), theirs(np.load(written / "cityscapes-source-colours.npz"))) == 0


def test_same_format_conversion_copies_the_images(tmp_path, capsys, written):
    for case, images in (("voc", "JPEGImages"), ("cityscapes-source", "leftImg8bit")):
        target = "voc" if case == "voc" else "cityscapes"
        code, _ = convert_cli(capsys, written / case, tmp_path / case, "--to", target)
        assert code == 0
        source = sorted(p.name for p in (written / case / images).rglob("*") if p.is_file())
        copied = sorted(p.name for p in (tmp_path / case / images).rglob("*") if p.is_file())
        assert source and copied == source


def test_ids_past_the_table_stop_the_import_and_write_nothing(tmp_path, capsys):
    """datumaro's label_colors.txt with its last class cut: every file is suspect, none written."""
    root = tmp_path / "src"
    folder = root / "gtFine" / "default"
    folder.mkdir(parents=True)
    write_png(folder / "a_gtFine_labelIds.png", np.array([[0, 1], [2, 1]], np.uint8))
    write_png(folder / "b_gtFine_labelIds.png", np.array([[0, 3], [2, 1]], np.uint8))
    (root / "label_colors.txt").write_text("128 64 128 road\n70 70 70 building\n")
    code, err = convert_cli(capsys, root, tmp_path / "out", "--to", "png")
    table = root / "label_colors.txt"
    assert code == 2 and err == [
        f"error: {folder / 'b_gtFine_labelIds.png'}: id 3 is not in the class table of {table} "
        "(0 background, 1 road, 2 building)"
    ]
    assert not (tmp_path / "out").exists()


def test_our_voc_opens_in_datumaro_exactly(tmp_path, capsys, maps):
    labels = source_dataset(tmp_path, maps)
    code, _ = convert_cli(capsys, labels, tmp_path / "voc", "--to", "voc")
    assert code == 0
    datumaro(
        [
            {
                "op": "import",
                "dir": str(tmp_path / "voc"),
                "format": "voc_segmentation",
                "out": str(tmp_path / "back.npz"),
            }
        ],
        tmp_path,
    )
    truth = {k: named(m.astype(int), CAMVID.class_names) for k, m in maps.items()}
    assert off(theirs(np.load(tmp_path / "back.npz")), truth) == 0


def test_our_cityscapes_opens_in_datumaro_but_for_instances(tmp_path, capsys, maps):
    """datumaro reads ``_instanceIds.png`` as label ids, so the scripts' instance ids (id x 1000
    + k) of people and vehicles are no class there: that is all that differs."""
    labels = source_dataset(tmp_path, maps)
    code, _ = convert_cli(capsys, labels, tmp_path / "cs", "--to", "cityscapes")
    assert code == 0
    datumaro(
        [
            {
                "op": "import",
                "dir": str(tmp_path / "cs"),
                "format": "cityscapes",
                "out": str(tmp_path / "back.npz"),
            }
        ],
        tmp_path,
    )
    back = theirs(np.load(tmp_path / "back.npz"))
    names = [name_key(n) for n in cityscapes.cityscapes_names(CAMVID)]
    instances = {k for k in names if cityscapes.TABLE[cityscapes.KEYS[k]][1]}
    for key, m in maps.items():
        truth = named(m.astype(int), names)
        differ = back[key] != truth
        assert (back[key][differ] == "").all() and set(truth[differ]) <= instances


def source_dataset(tmp_path, maps) -> object:
    """The scenes as PNG masks in ``labels/`` with ``classes.txt``, their images in ``images/``."""
    labels, images = tmp_path / "src" / "labels", tmp_path / "src" / "images"
    labels.mkdir(parents=True)
    images.mkdir()
    for key, m in maps.items():
        write_png(labels / f"{key}.png", m)
        Image.fromarray(np.dstack([m * 20] * 3).astype(np.uint8)).save(images / f"{key}.png")
    (labels / "classes.txt").write_text("".join(f"{n}\n" for n in CAMVID.class_names))
    return labels


def test_our_cityscapes_colours_are_the_scripts_colours(tmp_path, maps):
    for key, m in maps.items():
        cityscapes.write(tmp_path, key, m, CAMVID)
        files = cityscapes.paths(tmp_path, key)
        ours_rgb = np.asarray(Image.open(files["color.png"]).convert("RGB"))
        assert (ours_rgb == cityscapes_color_image(files["polygons.json"])).all()


def labelme_folder(tmp_path) -> object:
    """labelme files as a person draws them, with labelme's labels.txt: shapes over unpainted
    background, an __ignore__ shape, and a file without shapes."""
    folder = tmp_path / "labelme"
    folder.mkdir()
    (folder / "labels.txt").write_text("__ignore__\n_background_\nsky\nroad\ncar\n")
    shapes = [
        {"label": "road", "points": [[0, 20], [47, 20], [47, 39], [0, 39]], "shape_type": "polygon"},
        {"label": "sky", "points": [[0, 0], [47, 6]], "shape_type": "rectangle"},
        {"label": "car", "points": [[20, 25], [26, 28]], "shape_type": "circle"},
        {"label": "__ignore__", "points": [[30, 10], [40, 10], [35, 18]], "shape_type": "polygon"},
    ]
    for name, doc_shapes in (("a", shapes), ("empty", [])):
        doc = {"shapes": doc_shapes, "imageHeight": 40, "imageWidth": 48, "imagePath": f"{name}.png"}
        (folder / f"{name}.json").write_text(json.dumps(doc))
    return folder


@pytest.mark.parametrize("given", [False, True])
def test_labelme_datasets_convert_as_labelme2voc_does(tmp_path, capsys, given):
    folder = labelme_folder(tmp_path)
    classes = ["--classes", folder / "labels.txt"] if given else []
    code, err = convert_cli(capsys, folder, tmp_path / "voc", "--to", "voc", *classes)
    assert code == 0 and not [line for line in err if line.startswith("error:")]
    indices = {}
    for name in ("a", "empty"):
        indices[name] = np.asarray(Image.open(tmp_path / "voc" / "SegmentationClass" / f"{name}.png"))
        assert (indices[name] == labelme2voc(folder / f"{name}.json", folder / "labels.txt")).all()
    assert {0, 255} <= set(indices["a"].ravel().tolist())  # _background_ and __ignore__ apart


def test_labelme_files_without_shapes_are_unlabelled_images(tmp_path, capsys):
    folder = tmp_path / "classification"
    folder.mkdir()
    doc = {"shapes": [], "flags": {"cat": True}, "imageHeight": 4, "imageWidth": 5, "imagePath": "a.png"}
    (folder / "a.json").write_text(json.dumps(doc))
    code, err = convert_cli(capsys, folder, tmp_path / "out", "--to", "png")
    assert code == 0 and err == []
    assert (tmp_path / "out" / "classes.txt").read_text() == ""
    assert (read_label_png(tmp_path / "out" / "a.png") == 0).all()  # the ignore index of no classes


def test_yolo_files_ultralytics_writes_import_as_it_paints_them(tmp_path, capsys, maps):
    tools = ultralytics()
    masks, root = tmp_path / "masks", tmp_path / "yolo"
    masks.mkdir()
    (root / "images").mkdir(parents=True)
    for key, m in maps.items():
        write_png(masks / f"{key}.png", np.where(m < 11, m + 1, 0).astype(np.uint8))  # theirs: 0 is none
        shutil.copy(masks / f"{key}.png", root / "images" / f"{key}.png")
    tools.convert_segment_masks_to_yolo_seg(str(masks), str(root / "labels"), 11)
    (root / "data.yaml").write_text(json.dumps({"names": list(CAMVID.class_names)}))
    code, err = convert_cli(capsys, root, tmp_path / "out", "--to", "png")
    assert code == 0 and not [line for line in err if line.startswith("error:")]
    for key, m in maps.items():
        painted = ultralytics_masks((root / "labels" / f"{key}.txt").read_text(), *m.shape, fill=11)
        assert (read_label_png(tmp_path / "out" / f"{key}.png") == painted).all()

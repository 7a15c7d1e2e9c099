"""``srcrm convert``: format detection, folder and single-file conversion through every format,
and that one bad file is reported while the others are converted."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from srcrm.base.io import read_label_png
from srcrm.formats import FormatError, convert, detect, read_classes
from srcrm.formats.cli import register

TARGETS = ["png", "labelme", "coco", "yolo", "cityscapes", "voc"]


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["convert", *argv, "--no-progress"])
    return args.func(args)


@pytest.fixture
def dataset(tmp_path, camvid_root, camvid_val_labels) -> Path:
    """Three CamVid val frames in the CamVid layout, with classes.txt beside them."""
    root = tmp_path / "camvid"
    for label in camvid_val_labels[:3]:
        image = camvid_root / "val" / "images" / f"{label.stem}.jpg"
        (root / "labels").mkdir(parents=True, exist_ok=True)
        (root / "images").mkdir(exist_ok=True)
        shutil.copy(label, root / "labels" / label.name)
        shutil.copy(image, root / "images" / image.name)
    shutil.copy(camvid_root / "classes.txt", root / "classes.txt")
    return root


def same_labels(folder: Path, original: Path) -> bool:
    outputs = sorted(folder.rglob("*.png"))
    assert [p.name for p in outputs] == sorted(p.name for p in original.glob("*.png"))
    return all((read_label_png(p) == read_label_png(original / p.name)).all() for p in outputs)


LAYOUT = {  # where each target's tools look for things (NAME: one of the frames)
    "png": ["NAME.png", "classes.txt"],
    "labelme": ["NAME.json", "NAME.jpg", "classes.txt"],
    "coco": ["annotations/instances_default.json", "images/NAME.jpg"],
    "yolo": ["labels/NAME.txt", "images/NAME.jpg", "data.yaml"],
    "cityscapes": [
        f"gtFine/default/{city}/NAME_gtFine_{kind}"
        for city in ["CITY"]
        for kind in ("labelIds.png", "instanceIds.png", "color.png", "polygons.json")
    ]
    + ["leftImg8bit/default/CITY/NAME_leftImg8bit.jpg"],
    "voc": [
        "SegmentationClass/NAME.png",
        "JPEGImages/NAME.jpg",
        "labelmap.txt",
        "ImageSets/Segmentation/default.txt",
    ],
}


@pytest.mark.parametrize("target", TARGETS)
def test_every_format_converts_there_and_back_exactly_in_its_tools_layout(tmp_path, dataset, target):
    classes = str(dataset / "classes.txt")
    there, back = tmp_path / target, tmp_path / "back"
    assert cli(str(dataset / "labels"), str(there), "--to", target, "--classes", classes) == 0
    name = min((dataset / "labels").glob("*.png")).stem
    for path in LAYOUT[target]:
        assert (there / path.replace("NAME", name).replace("CITY", name.split("_")[0])).is_file()
    assert detect(there) == target
    assert cli(str(there), str(back), "--to", "png", "--classes", classes) == 0
    city = f"{name.split('_')[0]}/" if target == "cityscapes" else ""
    assert (back / f"{city}{name}.png").is_file()  # the layout's own folders are not carried
    if target == "yolo":  # no name for unlabelled pixels inside a hole: compare labelled ones
        for out in back.rglob("*.png"):
            truth = read_label_png(dataset / "labels" / out.name)
            assert (read_label_png(out)[truth < 11] == truth[truth < 11]).all()
    else:
        outputs = {
            p.name.replace("_gtFine_polygons", "").replace("_gtFine_labelIds", ""): p
            for p in back.rglob("*.png")
        }
        assert sorted(outputs) == sorted(p.name for p in (dataset / "labels").glob("*.png"))
        for name, out in outputs.items():
            assert (read_label_png(out) == read_label_png(dataset / "labels" / name)).all()


def test_voc_labelmap_names_our_classes(tmp_path, dataset):
    cli(str(dataset / "labels"), str(tmp_path / "voc"), "--to", "voc")
    lines = (tmp_path / "voc" / "labelmap.txt").read_text().splitlines()
    assert lines[1:3] == ["sky:0,0,0::", "building:128,0,0::"]  # VOC palette, our names
    names = (tmp_path / "voc" / "ImageSets" / "Segmentation" / "default.txt").read_text().split()
    assert names == sorted(p.stem for p in (dataset / "labels").glob("*.png"))


def test_labelme_output_points_at_the_copied_images(tmp_path, dataset):
    cli(
        str(dataset / "labels"),
        str(tmp_path / "out"),
        "--to",
        "labelme",
        "--classes",
        str(dataset / "classes.txt"),
    )
    path = next((tmp_path / "out").glob("*.json"))
    doc = json.loads(path.read_text())
    assert doc["imagePath"] == f"{path.stem}.jpg"
    assert (tmp_path / "out" / doc["imagePath"]).read_bytes() == (
        dataset / "images" / doc["imagePath"]
    ).read_bytes()
    assert (tmp_path / "out" / "classes.txt").read_text() == (dataset / "classes.txt").read_text()


def test_a_mask_without_image_is_exported_with_a_warning(tmp_path, dataset, capsys):
    label = next((dataset / "labels").glob("*.png"))
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(label, alone / label.name)
    assert (
        cli(str(alone), str(tmp_path / "lm"), "--to", "labelme", "--classes", str(dataset / "classes.txt"))
        == 0
    )
    assert f"warning: {tmp_path / 'lm' / label.stem}.json: no image is known" in capsys.readouterr().err


def test_class_names_come_from_the_source_when_it_has_them(tmp_path, dataset):
    cli(
        str(dataset / "labels"),
        str(tmp_path / "a.json"),
        "--to",
        "coco",
        "--classes",
        str(dataset / "classes.txt"),
    )
    assert cli(str(tmp_path / "a.json"), str(tmp_path / "png"), "--to", "png") == 0
    assert same_labels(tmp_path / "png", dataset / "labels")
    # PNG masks name no classes: classes.txt beside them (here one folder up) does.
    assert cli(str(dataset / "labels"), str(tmp_path / "x"), "--to", "labelme") == 0
    bare = tmp_path / "bare"
    shutil.copytree(dataset / "labels", bare)
    with pytest.raises(ValueError, match="--classes"):
        cli(str(bare), str(tmp_path / "y"), "--to", "labelme")


def labelme_file(path: Path, labels: list[str]) -> None:
    shapes = [
        {"label": name, "points": [[i, 0], [i, 3], [i + 1, 3]], "shape_type": "polygon"}
        for i, name in enumerate(labels)
    ]
    path.write_text(json.dumps({"shapes": shapes, "imageHeight": 4, "imageWidth": 8}))


@pytest.mark.parametrize("source", ["labelme", "cityscapes"])
def test_class_ids_are_one_sorted_table_for_the_folder(tmp_path, source):
    """Without --classes, a file's ids do not depend on the order classes first appear."""
    folder = tmp_path / "src"
    folder.mkdir()
    if source == "labelme":
        labelme_file(folder / "a.json", ["road", "car"])
        labelme_file(folder / "b.json", ["tree", "road"])
    else:
        for name, labels in (("a", ["road", "car"]), ("b", ["tree", "road"])):
            objects = [{"label": n, "polygon": [[i, 0], [i, 3], [i + 1, 3]]} for i, n in enumerate(labels)]
            (folder / f"{name}_gtFine_polygons.json").write_text(
                json.dumps({"imgHeight": 4, "imgWidth": 8, "objects": objects})
            )
    assert cli(str(folder), str(tmp_path / "out"), "--to", "png") == 0
    assert (tmp_path / "out" / "classes.txt").read_text() == "car\nroad\ntree\n"
    a = read_label_png(next((tmp_path / "out").glob("a*.png")))
    b = read_label_png(next((tmp_path / "out").glob("b*.png")))
    assert a[1, 0] == 1 and a[1, 1] == 0 and b[1, 0] == 2 and b[1, 1] == 1
    # One file alone gets a table too, and classes.txt beside its output.
    assert cli(str(next(folder.glob("b*"))), str(tmp_path / "one" / "b.png"), "--to", "png") == 0
    assert (tmp_path / "one" / "classes.txt").read_text() == "road\ntree\n"


def test_a_label_file_in_the_folder_gives_the_table(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    labelme_file(folder / "a.json", ["road"])
    (folder / "labels.txt").write_text("__ignore__\n_background_\nsky\nroad\n")  # labelme's
    assert cli(str(folder), str(tmp_path / "out"), "--to", "png") == 0
    # labelme numbers the lines from -1 (__ignore__): _background_ 0, sky 1, road 2
    assert (tmp_path / "out" / "classes.txt").read_text() == "_background_\nsky\nroad\n"
    assert read_label_png(tmp_path / "out" / "a.png")[1, 0] == 2


def test_single_files(tmp_path, dataset):
    label = next((dataset / "labels").glob("*.png"))
    out = tmp_path / "one.json"
    report = convert(label, out, "labelme", labelset=read_classes(dataset / "classes.txt"))
    assert report.written == [out] and not report.errors
    assert (
        cli(
            str(out),
            str(tmp_path / "one.png"),
            "--to",
            "png",
            "--from",
            "labelme",
            "--classes",
            str(dataset / "classes.txt"),
        )
        == 0
    )
    assert (read_label_png(tmp_path / "one.png") == read_label_png(label)).all()
    cli(
        str(dataset / "labels"),
        str(tmp_path / "all.json"),
        "--to",
        "coco",
        "--classes",
        str(dataset / "classes.txt"),
    )
    report = convert(tmp_path / "all.json", tmp_path / "many.png", "png")
    assert [p.name for p in report.written] == ["many.png", "classes.txt"]
    assert "more images than one" in str(report.errors[0])


def test_bad_files_are_reported_and_the_others_converted(tmp_path, dataset, capsys):
    folder = tmp_path / "lm"
    cli(str(dataset / "labels"), str(folder), "--to", "labelme", "--classes", str(dataset / "classes.txt"))
    good = sorted(folder.glob("*.json"))
    good[0].write_text(good[0].read_text()[:500])  # truncated
    doc = json.loads(good[1].read_text())
    doc["shapes"][2]["label"] = "dragon"
    good[1].write_text(json.dumps(doc))
    code = cli(str(folder), str(tmp_path / "png"), "--to", "png", "--classes", str(dataset / "classes.txt"))
    err = capsys.readouterr()
    assert code == 1
    assert f"{good[0].name}: not valid JSON" in err.err
    assert f"{good[1].name}: shape #2 (dragon): unknown class" in err.err
    assert len(list((tmp_path / "png").glob("*.png"))) == 1
    assert "1 failed" not in err.out and "2 failed" in err.out


def test_detection(tmp_path, dataset):
    assert detect(dataset / "labels") == "png"
    assert detect(dataset) == "png"  # classes.txt is not a YOLO label file
    (tmp_path / "v" / "SegmentationClass").mkdir(parents=True)
    assert detect(tmp_path / "v") == "voc"
    (tmp_path / "odd.json").write_text("[]")
    with pytest.raises(FormatError, match="odd.json: not a labelme, COCO or Cityscapes"):
        detect(tmp_path / "odd.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="no label files"):
        detect(tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        convert(tmp_path / "missing", tmp_path / "out", "png")


def test_output_never_overwrites_the_image(tmp_path, labelset):
    folder = tmp_path / "pair"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"")  # stands in for the image
    shapes = [{"label": "road", "points": [[0, 0], [2, 0], [2, 2]], "shape_type": "polygon"}]
    (folder / "a.json").write_text(
        json.dumps({"shapes": shapes, "imagePath": "a.png", "imageHeight": 2, "imageWidth": 2})
    )
    report = convert(folder, folder, "png", labelset=labelset)
    assert [("overwrite an input" in str(e)) for e in report.errors] == [True]
    assert (folder / "a.png").read_bytes() == b""
    assert [p.name for p in report.written] == ["classes.txt"]


def test_the_command_line_contract(tmp_path, capsys):
    """A source that cannot be read: one `error:` line, exit 2. Files that fail: one line
    each, exit 1 (above). Warnings: `warning:` lines, exit 0."""
    from srcrm.cli import main

    assert main(["convert", str(tmp_path / "missing"), str(tmp_path / "out"), "--to", "png"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "missing" in err
    (tmp_path / "deep.json").write_text("[" * 10_000 + "]" * 10_000)
    assert main(["convert", str(tmp_path / "deep.json"), str(tmp_path / "o"), "--to", "png"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nested 10000 levels deep" in err

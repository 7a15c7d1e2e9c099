"""``srcrm convert``: format detection, folder and single-file conversion through every format,
and that one bad file is reported while the others are converted."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from srcrm.formats import FormatError, convert, detect, read_classes
from srcrm.formats.cli import register
from srcrm.io import read_label_png

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


@pytest.mark.parametrize("target", TARGETS)
def test_every_format_converts_there_and_back_exactly(tmp_path, dataset, target):
    classes = str(dataset / "classes.txt")
    there, back = tmp_path / target, tmp_path / "back"
    assert cli(str(dataset / "labels"), str(there), "--to", target, "--classes", classes) == 0
    if target == "yolo":  # YOLO files do not store the image size: the images go beside them
        shutil.copytree(dataset / "images", there / "images")
    source = there / "annotations.json" if target == "coco" else there
    source_format = "cityscapes" if target == "cityscapes" else None
    assert detect(source) == source_format or detect(source) == {"voc": "png"}.get(target, target)
    assert cli(str(source), str(back), "--to", "png", "--classes", classes) == 0
    if target == "yolo":  # no name for unlabelled pixels inside a hole: compare labelled ones
        for out in back.rglob("*.png"):
            truth = read_label_png(dataset / "labels" / out.name)
            assert (read_label_png(out)[truth < 11] == truth[truth < 11]).all()
    else:
        assert same_labels(back, dataset / "labels")


def test_labelme_output_points_at_the_images(tmp_path, dataset):
    cli(str(dataset / "labels"), str(tmp_path / "out"), "--to", "labelme", "--classes",
        str(dataset / "classes.txt"))
    doc = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert (tmp_path / "out" / doc["imagePath"]).resolve().parent == (dataset / "images").resolve()
    assert (tmp_path / "out" / "classes.txt").read_text() == (dataset / "classes.txt").read_text()


def test_class_names_come_from_the_source_when_it_has_them(tmp_path, dataset):
    cli(str(dataset / "labels"), str(tmp_path / "a.json"), "--to", "coco", "--classes",
        str(dataset / "classes.txt"))
    assert cli(str(tmp_path / "a.json"), str(tmp_path / "png"), "--to", "png") == 0
    assert same_labels(tmp_path / "png", dataset / "labels")
    with pytest.raises(ValueError, match="--classes"):
        cli(str(dataset / "labels"), str(tmp_path / "x"), "--to", "labelme")


def test_single_files(tmp_path, dataset):
    label = next((dataset / "labels").glob("*.png"))
    out = tmp_path / "one.json"
    report = convert(label, out, "labelme", labelset=read_classes(dataset / "classes.txt"))
    assert report.written == [out] and not report.errors
    assert cli(str(out), str(tmp_path / "one.png"), "--to", "png", "--from", "labelme",
               "--classes", str(dataset / "classes.txt")) == 0
    assert (read_label_png(tmp_path / "one.png") == read_label_png(label)).all()
    cli(str(dataset / "labels"), str(tmp_path / "all.json"), "--to", "coco", "--classes",
        str(dataset / "classes.txt"))
    report = convert(tmp_path / "all.json", tmp_path / "many.png", "png")
    assert len(report.written) == 1 and "more images than one" in str(report.errors[0])


def test_bad_files_are_reported_and_the_others_converted(tmp_path, dataset, capsys):
    folder = tmp_path / "lm"
    cli(str(dataset / "labels"), str(folder), "--to", "labelme", "--classes",
        str(dataset / "classes.txt"))
    good = sorted(folder.glob("*.json"))
    good[0].write_text(good[0].read_text()[:500])  # truncated
    doc = json.loads(good[1].read_text())
    doc["shapes"][2]["label"] = "dragon"
    good[1].write_text(json.dumps(doc))
    code = cli(str(folder), str(tmp_path / "png"), "--to", "png", "--classes",
               str(dataset / "classes.txt"))
    err = capsys.readouterr()
    assert code == 1
    assert f"{good[0].name}: not valid JSON" in err.err
    assert f"{good[1].name}: shape #2 (dragon): unknown class" in err.err
    assert len(list((tmp_path / "png").glob("*.png"))) == 1
    assert "1 failed" not in err.out and "2 failed" in err.out


def test_detection(tmp_path, dataset):
    assert detect(dataset / "labels") == "png"
    assert detect(dataset) == "png"  # classes.txt is not a YOLO label file
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
    (folder / "a.json").write_text(json.dumps({"shapes": shapes, "imagePath": "a.png",
                                               "imageHeight": 2, "imageWidth": 2}))
    report = convert(folder, folder, "png", labelset=labelset)
    assert [("overwrite the image" in str(e)) for e in report.errors] == [True]
    assert (folder / "a.png").read_bytes() == b""
    assert [p.name for p in report.written] == ["classes.txt"]

"""COCO JSON: polygons for hole-free objects, RLE for the rest, read back exactly, and
readable by pycocotools where it is installed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from srcrm.base.io import read_label_png
from srcrm.formats import FormatError, coco, convert, polygonize, rasterize, rle


def export(tmp_path, labels_by_name: dict, labelset, **kwargs):
    path = tmp_path / "annotations.json"
    items = [(name, polygonize(labels, 11)) for name, labels in labels_by_name.items()]
    coco.write(path, items, labelset, **kwargs)
    return path


def test_holes_go_to_rle_the_rest_to_polygons_and_all_read_back(tmp_path, tricky_map, labelset, camvid_label):
    path = export(tmp_path, {"a.jpg": tricky_map, "sub/b.png": camvid_label}, labelset)
    doc = json.loads(path.read_text())
    assert [c["name"] for c in doc["categories"]] == list(labelset.class_names)
    assert [c["id"] for c in doc["categories"]] == list(range(1, 12))
    image_a = next(im["id"] for im in doc["images"] if im["file_name"] == "a.jpg")
    by_category = {a["category_id"]: a for a in doc["annotations"] if a["image_id"] == image_a}
    assert isinstance(by_category[4]["segmentation"], dict)  # road has holes: RLE
    assert isinstance(by_category[2]["segmentation"], list)  # the building pixel: polygon
    assert by_category[2]["bbox"] == [7.0, 6.0, 1.0, 1.0] and by_category[2]["area"] == 1
    samples, errors = coco.read(path, labelset)
    assert errors == []
    expected = {"a": np.where(tricky_map < 11, tricky_map, 11), "sub/b": camvid_label}
    assert {s.name for s in samples} == expected.keys()
    for sample in samples:
        assert (sample.labels == expected[sample.name]).all()


def test_rle_on_request(tmp_path, camvid_label, labelset):
    path = export(tmp_path, {"x.png": camvid_label}, labelset, rle_all=True)
    doc = json.loads(path.read_text())
    assert all(isinstance(a["segmentation"], dict) for a in doc["annotations"])
    [sample], _ = coco.read(path, labelset)
    assert (sample.labels == camvid_label).all()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' own, under numpy 2
def test_pycocotools_reads_our_file_to_the_same_masks(tmp_path, camvid_label, labelset):
    coco_api = pytest.importorskip("pycocotools.coco")
    path = export(tmp_path, {"x.png": camvid_label}, labelset)
    api = coco_api.COCO(str(path))
    coverage = polygonize(camvid_label, 11)
    for ann, region in zip(api.loadAnns(api.getAnnIds()), coverage.regions, strict=True):
        ours = rasterize([(1, region.polygon)], *camvid_label.shape, fill=0)
        assert (api.annToMask(ann) == ours).all()
        assert ann["category_id"] == region.class_id + 1


def test_a_bad_annotation_fails_its_image_only(tmp_path, labelset):
    doc = {
        "images": [
            {"id": 1, "file_name": "good.jpg", "height": 4, "width": 4},
            {"id": 2, "file_name": "bad.jpg", "height": 4, "width": 4},
            {"id": 3, "file_name": "../../escape.jpg", "height": 4, "width": 4},
        ],
        "categories": [{"id": 7, "name": "car"}, {"id": 9, "name": "unicorn"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]]},
            {"id": 2, "image_id": 2, "category_id": 9, "segmentation": [[0, 0, 2, 0, 2, 2]]},
            {"id": 3, "image_id": 5, "category_id": 7, "segmentation": [[0, 0, 2, 0, 2, 2]]},
            {"id": 4, "image_id": 3, "category_id": 7, "segmentation": {"size": [4, 4], "counts": [0, 16]}},
        ],
    }
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(doc))
    samples, errors = coco.read(path, labelset)
    assert {s.name for s in samples} == {"good", "escape"}  # no climbing out of the folder
    good = next(s for s in samples if s.name == "good")
    assert (good.labels[:2, :2] == 8).all() and (good.labels[2:] == 11).all()
    messages = sorted(str(e) for e in errors)
    assert len(messages) == 2
    assert all("mixed.json" in m for m in messages)
    assert any("annotation 2" in m and "unicorn" in m for m in messages)
    assert any("annotation 3" in m and "image id 5" in m for m in messages)


@pytest.mark.parametrize(
    "segmentation, reason",
    [
        ([[0, 0, 2, 0, 2]], "even length"),
        ([[0, 0, 2, 0, "x", 2]], "numbers"),
        ([[0, 0, 9, 0, 9, 9]], "outside"),
        ({"size": [3, 3], "counts": [9]}, "not the image"),
        ({"size": [4, 4], "counts": "!!"}, "bad RLE"),
    ],
)
def test_bad_segmentations(tmp_path, labelset, segmentation, reason):
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "height": 4, "width": 4}],
        "categories": [{"id": 1, "name": "road"}],
        "annotations": [{"id": 8, "image_id": 1, "category_id": 1, "segmentation": segmentation}],
    }
    (tmp_path / "c.json").write_text(json.dumps(doc))
    samples, [error] = coco.read(tmp_path / "c.json", labelset)
    assert samples == [] and reason in str(error) and "annotation 8" in str(error)


def test_not_coco(tmp_path, labelset):
    (tmp_path / "x.json").write_text('{"images": []}')
    with pytest.raises(FormatError, match="x.json: not a COCO file"):
        coco.read(tmp_path / "x.json", labelset)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' own, under numpy 2
@pytest.mark.parametrize(
    "ring",
    [
        [0, 0, 8, 8, 8, 0, 0, 8],  # a bow tie: the edges cross
        [1, 1, 9, 1, 9, 9, 5, 9, 5, 5, 5, 9, 1, 9],  # touches itself: a zero-width slit
        [0, 0, 10, 0, 10, 10, 0, 10, 0, 5, 5, 5, 5, 2, 2, 2, 2, 7, 7, 7, 7, 4, 0, 4],  # crosses
    ],
)
def test_self_touching_and_crossing_polygons_fill_as_in_pycocotools(tmp_path, labelset, ring):
    mask_api = pytest.importorskip("pycocotools.mask")
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "height": 12, "width": 12}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [ring]}],
    }
    (tmp_path / "c.json").write_text(json.dumps(doc))
    [sample], errors = coco.read(tmp_path / "c.json", labelset)
    theirs = mask_api.decode(mask_api.merge(mask_api.frPyObjects([ring], 12, 12)))
    assert errors == [] and ((sample.labels == 8) == theirs.astype(bool)).all()
    crosses = ring[2] == 8 or len(ring) > 20
    assert [("cross" in w and "annotation 1" in w) for w in sample.warnings] == [True] * crosses


def coco_doc(images, annotations=()):
    return {"images": images, "categories": [{"id": 1, "name": "road"}], "annotations": list(annotations)}


def test_repeated_image_ids_and_unusable_names_fail_their_images_only(tmp_path, labelset):
    images = [
        {"id": 1, "file_name": "a.jpg", "height": 2, "width": 2},
        {"id": 1, "file_name": "b.jpg", "height": 2, "width": 2},
        {"id": 2, "file_name": "", "height": 2, "width": 2},
        {"id": 3, "file_name": ".", "height": 2, "width": 2},
        {"id": 4, "file_name": "/", "height": 2, "width": 2},
        {"id": 5, "file_name": "ok.png", "height": 2, "width": 2},
    ]
    annotations = [
        {"id": 1, "image_id": i, "category_id": 1, "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]]}
        for i in (1, 2, 5)
    ]
    (tmp_path / "c.json").write_text(json.dumps(coco_doc(images, annotations)))
    samples, errors = coco.read(tmp_path / "c.json", labelset)
    assert [s.name for s in samples] == ["ok"] and (samples[0].labels == 3).all()
    messages = [str(e) for e in errors]
    assert sum("repeats an image id" in m for m in messages) == 2
    assert any("'a.jpg'" in m for m in messages) and any("'b.jpg'" in m for m in messages)
    assert sum("no usable file_name" in m for m in messages) == 3


def test_a_jpg_and_a_png_of_one_name_are_reported_not_overwritten(tmp_path, labelset):
    images = [
        {"id": 1, "file_name": "a.jpg", "height": 2, "width": 2},
        {"id": 2, "file_name": "a.png", "height": 2, "width": 2},
    ]
    annotations = [{"id": 1, "image_id": 2, "category_id": 1, "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]]}]
    (tmp_path / "c.json").write_text(json.dumps(coco_doc(images, annotations)))
    report = convert(tmp_path / "c.json", tmp_path / "out", "png", labelset=labelset)
    [error] = report.errors
    assert "'a' and 'a' would both be written" in str(error)
    assert [p.name for p in report.written] == ["a.png", "classes.txt"]
    assert (read_label_png(tmp_path / "out" / "a.png") == 11).all()  # the first: a.jpg's


@pytest.mark.parametrize(
    "counts",
    [
        [2**62, 2**62, 2**62, 2**62 + 1728],  # wraps to 1728 in int64: crashed np.repeat
        [2**64, 0],  # past int64: OverflowError
        [-1, 1729],
    ],
)
def test_hostile_rle_counts_are_a_clear_error(tmp_path, labelset, counts):
    doc = coco_doc(
        [{"id": 1, "file_name": "a.jpg", "height": 36, "width": 48}],
        [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"size": [36, 48], "counts": counts}}],
    )
    (tmp_path / "c.json").write_text(json.dumps(doc))
    samples, [error] = coco.read(tmp_path / "c.json", labelset)
    assert samples == [] and "bad RLE segmentation" in str(error)


def test_huge_declared_sizes_are_refused_before_anything_is_allocated(tmp_path, labelset):
    rle_size = coco_doc(
        [{"id": 1, "file_name": "a.jpg", "height": 100000, "width": 100000}],
        [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "segmentation": {"size": [100000, 100000], "counts": "0"},
            }
        ],
    )
    (tmp_path / "c.json").write_text(json.dumps(rle_size))
    samples, [error] = coco.read(tmp_path / "c.json", labelset)
    assert samples == [] and "over the limit" in str(error) and "SRCRM_MAX_PIXELS" in str(error)
    with pytest.raises(ValueError, match="over the limit"):
        rle.from_coco({"size": [100000, 100000], "counts": [10**10]})

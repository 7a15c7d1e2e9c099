"""Bad and hostile input: every importer, given any bytes, returns labels or the formats' error
for that file, never a crash or another exception; deep nesting, huge declared sizes and EXIF
rotation are handled as the README's reliability rule says."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from srcrm.base import jsonio
from srcrm.base.io import displayed_size, read_image, write_png
from srcrm.base.limits import ImageTooLarge, check_image_size
from srcrm.data.labelsets import CAMVID
from srcrm.formats import FormatError, convert, registry
from srcrm.formats.errors import FormatError as Error


def valid_files(root: Path) -> dict[str, Path]:
    """One small valid file of each format, written by our own exports."""
    labels = np.zeros((6, 8), np.uint8)
    labels[1:4, 2:6] = 8
    labels[2, 3] = 11
    source = root / "src"
    source.mkdir()
    write_png(source / "a.png", labels)
    Image.new("RGB", (8, 6)).save(source / "a.jpg")
    out = {}
    for name in ("labelme", "coco", "yolo", "cityscapes", "voc", "png"):
        convert(source, root / name, name, labelset=CAMVID)
    out["labelme"] = root / "labelme" / "a.json"
    out["coco"] = root / "coco" / "annotations" / "instances_default.json"
    out["yolo"] = root / "yolo" / "labels" / "a.txt"
    out["cityscapes"] = root / "cityscapes" / "gtFine" / "default" / "default" / "a_gtFine_polygons.json"
    out["voc"] = root / "voc" / "SegmentationClass" / "a.png"
    out["png"] = root / "png" / "a.png"
    return out


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, tuple[Path, bytes]]:
    files = valid_files(tmp_path_factory.mktemp("seeds"))
    return {name: (path, path.read_bytes()) for name, path in files.items()}


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """The seed with a few bytes replaced, cut or inserted; or bytes of no format at all."""
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(st.binary(max_size=300))
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["replace", "cut", "insert"]))
        chunk = draw(
            st.binary(min_size=1, max_size=8)
            | st.sampled_from([b"[", b"{", b"-", b"1e999", b"\x00", b"99999999"])
        )
        if action == "replace":
            data[at : at + len(chunk)] = chunk
        elif action == "cut":
            del data[at : at + len(chunk)]
        else:
            data[at:at] = chunk
    return bytes(data)


@pytest.mark.parametrize("name", ["labelme", "coco", "yolo", "cityscapes", "voc", "png"])
def test_any_bytes_give_labels_or_the_formats_error(seeds, name):
    path, seed = seeds[name]
    fmt = registry.FORMATS[name]

    @settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=mutated(seed))
    def check(data):
        path.write_bytes(data)
        for item in fmt.read(path, CAMVID):
            assert isinstance(item, Error) or item.labels.dtype == np.uint8
        try:
            fmt.class_names(path.parent, [path])
        except ValueError:  # FormatError is one: a clear message for the command line
            pass

    try:
        check()
    finally:
        path.write_bytes(seed)


def test_deep_nesting_is_one_clear_error_and_the_folder_still_converts(tmp_path, seeds):
    folder = tmp_path / "lm"
    folder.mkdir()
    good = seeds["labelme"][1]
    (folder / "a.json").write_bytes(good)
    (folder / "deep.json").write_text('{"shapes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    report = convert(folder, tmp_path / "out", "png", labelset=CAMVID)
    [error] = report.errors
    assert "deep.json: nested 100001 levels deep" in str(error)
    assert (tmp_path / "out" / "a.png").is_file()
    with pytest.raises(jsonio.JsonError, match="nested"):
        jsonio.loads("[" * 5000 + "]" * 5000)
    assert jsonio.loads('{"a": "[[[[[[[[["}', max_depth=1) == {"a": "[[[[[[[[["}  # in a string
    assert jsonio.nesting_depth(b'[{"x": [1, "]]]"]}]') == 3


def test_a_tiny_file_declaring_a_huge_image_is_refused_before_allocating(tmp_path, monkeypatch):
    path = tmp_path / "bomb.json"
    path.write_text(
        json.dumps({"shapes": [], "imageHeight": 16384, "imageWidth": 16384, "imagePath": "x.png"})
    )
    assert path.stat().st_size < 300
    # 16384 x 16384 is under the default limit (200 MP); a lowered limit refuses it.
    monkeypatch.setenv("SRCRM_MAX_PIXELS", str(10_000_000))
    [item] = registry.FORMATS["labelme"].read(path, CAMVID)
    assert isinstance(item, FormatError) and "over the limit of 10,000,000" in str(item)
    assert "bomb.json" in str(item)


def test_embedded_images_are_sized_from_their_header_first(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCRM_MAX_PIXELS", "1000")
    buf = tmp_path / "big.png"
    Image.new("L", (100, 100)).save(buf)
    doc = {"shapes": [], "imageData": base64.b64encode(buf.read_bytes()).decode()}
    (tmp_path / "e.json").write_text(json.dumps(doc))
    [item] = registry.FORMATS["labelme"].read(tmp_path / "e.json", CAMVID)
    assert isinstance(item, FormatError) and "over the limit" in str(item)


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tiff"])
def test_yolo_sizes_images_with_exif_orientation_applied(tmp_path, suffix):
    """A phone photo stored 40x20 with orientation 6 is shown (and predicted) 20x40. Pillow 13
    reports a TIFF's size already turned: turning it again gave a 40x20 label map."""
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6
    image = tmp_path / "images" / f"p{suffix}"
    Image.new("RGB", (40, 20)).save(image, exif=exif.tobytes())
    (tmp_path / "labels" / "p.txt").write_text("8 0 0 1 0 1 0.5 0 0.5\n")
    (tmp_path / "data.yaml").write_text(f"names: {list(CAMVID.class_names)}\n")
    [sample] = registry.FORMATS["yolo"].read(tmp_path / "labels" / "p.txt", CAMVID)
    assert sample.labels.shape == read_image(image).shape[:2] == (40, 20)
    assert (sample.labels[:19] == 8).all() and (sample.labels[21:] == 11).all()


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tiff", ".webp"])
def test_an_image_is_sized_as_it_is_read(tmp_path, suffix, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"a{suffix}"
    Image.new("RGB", (30, 10)).save(path, exif=exif.tobytes())
    assert displayed_size(path) == read_image(path).shape[:2]


def test_a_json_integer_of_thousands_of_digits_is_one_clear_error(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"shapes": [], "imageHeight": ' + "1" * 5000 + ', "imageWidth": 1}')
    [error] = registry.FORMATS["labelme"].read(path, CAMVID)
    assert str(error) == f"{path}: holds an integer too long to read (over 4,300 digits)"


def test_a_boolean_size_is_not_one_pixel(tmp_path):
    """JSON's true is a Python int: it read as a 1x1 image ("lies outside the TruexTrue image")."""
    path = tmp_path / "a.json"
    shape = {"label": "car", "points": [[0, 0], [3, 0], [3, 3]], "shape_type": "polygon"}
    path.write_text(json.dumps({"shapes": [shape], "imageHeight": True, "imageWidth": True}))
    [error] = registry.FORMATS["labelme"].read(path, CAMVID)
    assert str(error) == f"{path}: imageHeight/imageWidth must be positive integers, got True/True"
    with pytest.raises(
        ImageTooLarge, match=r"^the image declares a size that is not whole numbers: True x 2$"
    ):
        check_image_size(True, 2, "the image")


@pytest.mark.parametrize(
    "text",
    [
        "names: [a, b]\nval: 2001-13-45\n",
        "[" * 5000,
        "names: !!python/object/apply:os.system [ls]",
        "names: {0: a, 2: b}",
        "names: [a, [b]]",
        "\x00\xff",
    ],
)
def test_a_hostile_data_yaml_is_a_clear_error(tmp_path, text):
    from srcrm.formats import yolo

    (tmp_path / "data.yaml").write_text(text, errors="surrogateescape")
    with pytest.raises(FormatError, match="data.yaml"):
        yolo.read_names(tmp_path / "data.yaml")


def test_data_yaml_names_by_id(tmp_path):
    from srcrm.formats import yolo

    path = tmp_path / "data.yaml"
    path.write_text("names:\n" + "".join(f"  {i}: c{i}\n" for i in reversed(range(12))))
    assert yolo.read_names(path) == [f"c{i}" for i in range(12)]

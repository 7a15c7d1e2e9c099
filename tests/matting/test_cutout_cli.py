"""``srcrm cutout``: what it writes, and one error line for bad input."""

import numpy as np
import pytest
from matting_test_helpers import RED, soft_edge

from srcrm.base.io import read_image, write_png
from srcrm.cli import main
from srcrm.formats import masks


@pytest.fixture
def files(tmp_path):
    image, truth = soft_edge()
    write_png(tmp_path / "photo.png", image)
    masks.write(tmp_path / "mask.png", (truth > 0.5).astype(np.uint8) * 7)  # nonzero = inside
    labels = np.where(truth > 0.5, 2, 8).astype(np.uint8)  # CamVid: 2 = pole, 8 = car
    masks.write(tmp_path / "labels.png", labels)
    return tmp_path, truth


def _rgba(path):
    import cv2

    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)


def test_refined_cutout_and_matte(files, capsys):
    d, truth = files
    assert (
        main(
            [
                "cutout",
                str(d / "photo.png"),
                "--mask",
                str(d / "mask.png"),
                "--out",
                str(d / "cut.png"),
                "--refine",
                "--band",
                "10",
                "--matte",
                str(d / "m.png"),
                "--no-crop",
            ]
        )
        == 0
    )
    cut = _rgba(d / "cut.png")
    assert cut.shape == (40, 64, 4)
    assert np.abs(cut[..., 3] / 255 - truth).max() < 0.04
    visible = truth > 0.1
    assert np.abs(cut[..., :3][visible].astype(int) - RED).max() <= 12
    assert (read_image(d / "m.png")[..., 0] == cut[..., 3]).all()


def test_plain_cutout_of_a_class_is_cropped(files):
    d, truth = files
    assert (
        main(
            [
                "cutout",
                str(d / "photo.png"),
                "--class",
                "Pole",
                "--labels",
                str(d / "labels.png"),
                "--out",
                str(d / "cut.png"),
            ]
        )
        == 0
    )
    cut = _rgba(d / "cut.png")
    assert cut.shape == (40, (truth > 0.5).sum(1)[0], 4) and (cut[..., 3] == 255).all()


@pytest.mark.parametrize(
    "case, message",
    [
        ("size", "is 64x40 but the mask is 30x40"),
        ("empty", "the region to cut out is empty"),
        ("unreadable", "not a readable image"),
        ("no class", "has no pixels of class 'sky'"),
        ("unknown class", "unknown class 'dragon'"),
    ],
)
def test_bad_input_gets_one_error_line(files, capsys, case, message):
    d, _ = files
    args = ["cutout", str(d / "photo.png"), "--mask", str(d / "mask.png"), "--out", str(d / "c.png")]
    if case == "size":
        masks.write(d / "mask.png", np.ones((40, 30), np.uint8))
    elif case == "empty":
        masks.write(d / "mask.png", np.zeros((40, 64), np.uint8))
    elif case == "unreadable":
        (d / "photo.png").write_bytes(b"not a png")
    else:
        args[2:4] = ["--class", "sky" if case == "no class" else "dragon", "--labels", str(d / "labels.png")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not (d / "c.png").exists()


@pytest.mark.parametrize(
    "flag, value, message",
    [
        ("--feather", "1e9", "--feather must be a number from 0 to 64, got 1000000000.0"),
        ("--feather", "65", "--feather must be a number from 0 to 64, got 65.0"),
        ("--feather", "-1", "--feather must be a number from 0 to 64, got -1.0"),
        ("--feather", "nan", "--feather must be a number from 0 to 64, got nan"),
        ("--band", "1000000000", "--band must be a whole number from 0 to 64, got 1000000000"),
        ("--band", "-2", "--band must be a whole number from 0 to 64, got -2"),
    ],
)
def test_edge_widths_are_bounded_by_the_image(files, capsys, flag, value, message):
    """--feather 1e9 was OOM-killed at 21 GB: its Gaussian kernel grows with it. Wider than
    the image (64x40 here) a feather or band changes nothing more."""
    d, _ = files
    args = ["cutout", str(d / "photo.png"), "--mask", str(d / "mask.png"), "--out", str(d / "c.png")]
    assert main([*args, "--refine", flag, value]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: {message}"]
    assert not (d / "c.png").exists()
    assert main([*args, flag, "64"]) == 0  # the longer side itself is allowed


@pytest.mark.parametrize("case", ["out is the image", "matte is the mask", "out is the matte", "link"])
def test_an_output_never_replaces_an_input(files, capsys, case):
    d, _ = files
    (d / "link.png").symlink_to(d / "photo.png")
    before = {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()}
    out, matte = {
        "out is the image": (d / "photo.png", None),
        "matte is the mask": (d / "cut.png", d / "mask.png"),
        "out is the matte": (d / "cut.png", d / "cut.png"),
        "link": (d / "link.png", None),
    }[case]
    args = ["cutout", str(d / "photo.png"), "--mask", str(d / "mask.png"), "--out", str(out)]
    assert main(args + (["--matte", str(matte)] if matte else [])) == 2
    line = {
        "out is the image": f"{out}: refused: this output would overwrite the input {d / 'photo.png'}",
        "matte is the mask": f"{matte}: refused: this output would overwrite the input {d / 'mask.png'}",
        "out is the matte": f"{out}: refused: {out} and {out} are one file; give two different outputs",
        "link": f"{out}: refused: this output would overwrite the input {d / 'photo.png'}",
    }[case]
    [err] = capsys.readouterr().err.splitlines()
    assert err.startswith(f"error: {line}")
    assert {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()} == before

"""Atomic writes: a failed write leaves the previous file whole; files get normal permissions."""

import os
import stat

import numpy as np
import pytest

from srcrm.base.io import ImageReadError, atomic_write, read_image, read_label_png, write_png


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "labels.png"
    write_png(target, np.ones((4, 4), np.uint8))
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write(b"half a file")
            raise RuntimeError("disk full")
    assert (read_label_png(target) == 1).all()
    assert os.listdir(tmp_path) == ["labels.png"]


def test_written_files_are_readable_by_others(tmp_path):
    write_png(tmp_path / "a.png", np.zeros((2, 2), np.uint8))
    mode = stat.S_IMODE(os.stat(tmp_path / "a.png").st_mode)
    assert mode & stat.S_IROTH


def test_corrupt_images_get_a_clear_error(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    with pytest.raises(ImageReadError, match="bad.jpg: not a readable image"):
        read_image(tmp_path / "bad.jpg")
    write_png(tmp_path / "rgb.png", np.zeros((3, 3, 3), np.uint8))
    with pytest.raises(ImageReadError, match="one channel"):
        read_label_png(tmp_path / "rgb.png")

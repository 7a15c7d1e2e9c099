"""Datasets open in their layouts, and augmentation keeps images and labels aligned."""

import numpy as np
import pytest
import torch

from srcrm.base.io import write_png
from srcrm.data.augment import AugmentConfig, augment
from srcrm.data.datasets import open_dataset


def test_camvid_opens_with_its_classes_and_ignore_index(camvid_root):
    data = open_dataset(camvid_root, "val")
    assert len(data) == 101
    assert data.labelset.class_names[3] == "road" and data.labelset.ignore_index == 11
    image, label = data[0]
    assert image.shape == (360, 480, 3) and label.shape == (360, 480)
    assert label.max() <= 11


def test_cityscapes_label_ids_map_to_train_ids(tmp_path):
    city = tmp_path / "leftImg8bit" / "val" / "aachen"
    gt = tmp_path / "gtFine" / "val" / "aachen"
    write_png(city / "aachen_000000_000019_leftImg8bit.png", np.zeros((8, 8, 3), np.uint8))
    ids = np.full((8, 8), 7, np.uint8)  # road
    ids[:, 4:] = 26  # car
    ids[0, 0] = 0  # unlabelled
    write_png(gt / "aachen_000000_000019_gtFine_labelIds.png", ids)
    data = open_dataset(tmp_path, "val")
    _, label = data[0]
    assert label[1, 1] == 0 and label[1, 5] == 13 and label[0, 0] == 255
    assert data.labelset.num_classes == 19


def test_wrong_size_label_is_reported(tiny_dataset):
    write_png(tiny_dataset / "val" / "labels" / "img0.png", np.zeros((10, 10), np.uint8))
    data = open_dataset(tiny_dataset, "val")
    with pytest.raises(ValueError, match="label is 10x10"):
        data[0]


def test_missing_split_says_what_it_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected test/images"):
        open_dataset(tmp_path, "test")


def test_augment_keeps_image_and_label_aligned():
    # Image brightness encodes the label, so any misalignment shows up as a mismatch.
    labels = torch.zeros(4, 60, 80, dtype=torch.uint8)
    labels[:, 20:40, 30:60] = 1
    images = (labels.float() * 255).to(torch.uint8)[:, None].repeat(1, 3, 1, 1)
    cfg = AugmentConfig(crop=(48, 48), scale=(0.5, 2.0), jitter=0.0)
    x, y = augment(images, labels, cfg, ignore_index=9, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4, 3, 48, 48) and y.shape == (4, 48, 48) and y.dtype == torch.long
    inside = y != 9
    agree = ((x[:, 0] > 0.5).long() == y)[inside].float().mean()
    assert agree > 0.97
    # Scaled down below the crop size, the borders fall outside the image and are ignored.
    x, y = augment(images, labels, AugmentConfig(crop=(96, 96), scale=(0.5, 0.5)), 9)
    assert (y == 9).any()


def test_ade20k_shifts_classes_and_ignores_other(tmp_path):
    base = tmp_path / "ADEChallengeData2016"
    write_png(base / "images" / "validation" / "ADE_val_00000001.jpg", np.zeros((6, 6, 3), np.uint8))
    ann = np.zeros((6, 6), np.uint8)
    ann[:, 3:] = 3  # "sky" is 3 on disk, train id 2
    write_png(base / "annotations" / "validation" / "ADE_val_00000001.png", ann)
    data = open_dataset(tmp_path, "val")
    _, label = data[0]
    assert label[0, 0] == 255 and label[0, 4] == 2
    assert data.labelset.class_names[2] == "sky" and data.labelset.num_classes == 150


def test_bdd100k_uses_cityscapes_train_ids(tmp_path):
    write_png(tmp_path / "images" / "10k" / "val" / "b1.jpg", np.zeros((6, 6, 3), np.uint8))
    write_png(tmp_path / "labels" / "sem_seg" / "masks" / "val" / "b1.png", np.full((6, 6), 13, np.uint8))
    data = open_dataset(tmp_path, "val")
    assert data.labelset.class_names[13] == "car"
    assert (data[0][1] == 13).all()


def test_focus_crops_contain_the_rare_pixel_they_were_centred_on():
    # One rare pixel per image, far from the centre: a plain random crop usually misses it.
    labels = torch.zeros(6, 120, 160, dtype=torch.uint8)
    points = torch.tensor([[5, 7], [110, 150], [60, 3], [2, 155], [117, 80], [64, 96]])
    for i, (y, x) in enumerate(points.tolist()):
        labels[i, y, x] = 1
    images = (labels * 255)[:, None].repeat(1, 3, 1, 1)
    cfg = AugmentConfig(crop=(32, 32), scale=(1.0, 1.0), flip=False, jitter=0.0)
    _, y = augment(images, labels, cfg, 9, torch.Generator().manual_seed(1), focus=points)
    assert all((y[i] == 1).any() for i in range(6))
    # Without focus most of these crops miss it.
    _, y = augment(images, labels, cfg, 9, torch.Generator().manual_seed(1))
    assert sum(bool((y[i] == 1).any()) for i in range(6)) < 3


def test_focus_sampler_draws_every_class_evenly_whatever_its_area():
    from srcrm.train.trainer import FocusSampler

    labels = torch.zeros(2, 100, 100, dtype=torch.uint8)
    labels[1, 50, 50] = 2  # one pixel of class 2 against 20,000 of class 0
    sampler = FocusSampler(labels, num_classes=3, generator=torch.Generator().manual_seed(0))
    idx, pts = sampler.draw(torch.zeros(400, dtype=torch.long), share=1.0)
    rare = (idx == 1) & (pts[:, 0] == 50) & (pts[:, 1] == 50)
    assert 150 < int(rare.sum()) < 250  # about half: two classes present, each drawn evenly


def test_blur_softens_only_the_chosen_share_of_the_batch():
    images = torch.zeros(16, 3, 40, 40, dtype=torch.uint8)
    images[:, :, :, 20:] = 255
    labels = torch.zeros(16, 40, 40, dtype=torch.uint8)
    cfg = AugmentConfig(crop=(40, 40), scale=(1.0, 1.0), flip=False, jitter=0.0, blur=0.5)
    x, _ = augment(images, labels, cfg, 9, torch.Generator().manual_seed(3))
    soft = ((x > 0.02) & (x < 0.98)).flatten(1).any(1)
    assert 0 < int(soft.sum()) < 16

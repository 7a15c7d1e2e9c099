"""Which input normalisation the EfficientNet-Lite ImageNet weights expect, measured.

Crops every car of at least 48x48 pixels out of CamVid (connected components of the ground
truth's car class), lets the weight file's own classifier name them under each candidate
normalisation, and counts how often a vehicle class is among the top 5. The encoder's
``input_mean``/``input_std`` are the winner.

    python scripts/lite_normalisation.py --data ../shared/data/camvid --split train
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from srcrm.models.encoders.efficientnet_lite import VARIANTS, ImageNetClassifier

# ImageNet classes that are road vehicles a street scene's "car" can be.
VEHICLES = {
    407,
    436,
    468,
    511,
    555,
    569,
    573,
    581,
    609,
    627,
    654,
    656,
    661,
    675,
    705,
    717,
    734,
    751,
    757,
    779,
    803,
    817,
    864,
    867,
    874,
    479,
}
CANDIDATES = {
    "tensorflow (x-127)/128": ((127 / 255,) * 3, (128 / 255,) * 3),
    "imagenet mean/std": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


def car_crops(root: Path, split: str, car_id: int, limit: int) -> list[np.ndarray]:
    crops = []
    for label_path in sorted((root / split / "labels").glob("*.png")):
        label = cv2.imread(str(label_path), cv2.IMREAD_GRAYSCALE)
        image = cv2.cvtColor(
            cv2.imread(str(root / split / "images" / f"{label_path.stem}.jpg")), cv2.COLOR_BGR2RGB
        )
        count, _, stats, _ = cv2.connectedComponentsWithStats((label == car_id).astype(np.uint8))
        for x, y, w, h, _area in stats[1:count]:
            if w >= 48 and h >= 48:
                crops.append(
                    cv2.resize(image[y : y + h, x : x + w], (224, 224), interpolation=cv2.INTER_AREA)
                )
        if len(crops) >= limit:
            break
    return crops[:limit]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/camvid")
    p.add_argument("--split", default="train")
    p.add_argument("--variant", default="lite0", choices=list(VARIANTS))
    p.add_argument("--crops", type=int, default=200)
    args = p.parse_args()
    root = Path(args.data)
    names = (root / "classes.txt").read_text().split()
    crops = car_crops(root, args.split, names.index("car"), args.crops)
    x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255
    model = ImageNetClassifier(args.variant).eval()
    print(f"{len(crops)} car crops from CamVid {args.split}, {args.variant}")
    for name, (mean, std) in CANDIDATES.items():
        normalised = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
        with torch.no_grad():
            probs = F.softmax(model(normalised), dim=1)
        top5 = probs.topk(5, dim=1).indices
        hit = np.mean([bool(VEHICLES & set(row.tolist())) for row in top5])
        top1 = np.mean([row[0].item() in VEHICLES for row in top5])
        print(
            f"{name:24s} vehicle in top 5: {100 * hit:.1f}%  top 1: {100 * top1:.1f}%  "
            f"mean max prob {probs.max(1).values.mean():.3f}"
        )


if __name__ == "__main__":
    main()

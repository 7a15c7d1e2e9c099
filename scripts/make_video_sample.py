"""Make the sample clip ``resources/samples/camvid_0016E5_15hz.mp4`` from the CamVid val frames.

    .venv/bin/python scripts/make_video_sample.py [--camvid ../shared/data/camvid]

CamVid's val split is one continuous 15 Hz run of sequence 0016E5 (frames 07959..08159 of the
30 Hz original, every second one): 101 frames, 480x360, written here at 15 fps with mp4v, which
OpenCV reads everywhere. See resources/samples/README.md for the source and licence.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "resources" / "samples" / "camvid_0016E5_15hz.mp4"
FIRST, LAST, STEP = 7959, 8159, 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camvid", type=Path, default=REPO.parent / "shared" / "data" / "camvid")
    args = parser.parse_args()
    frames = [args.camvid / "val" / "images" / f"0016E5_{n:05d}.jpg" for n in range(FIRST, LAST + 1, STEP)]
    missing = [p.name for p in frames if not p.is_file()]
    if missing:
        print(f"error: {len(missing)} CamVid val frames missing, e.g. {missing[0]}", file=sys.stderr)
        return 2
    fd, tmp = tempfile.mkstemp(suffix=".mp4", dir=OUT.parent)
    os.close(fd)
    try:
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*"mp4v"), 15.0, (480, 360))
        for path in frames:
            writer.write(cv2.imread(str(path)))
        writer.release()
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, OUT)
    finally:
        Path(tmp).unlink(missing_ok=True)
    print(f"{OUT}: {len(frames)} frames, {OUT.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Render docs/app_video_screenshot.png: the app with the sample clip open, pre-labelled by the
bundled default model (CPU, about half a minute), on a frame in the middle.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/app_video_screenshot.py [OUT.png]

Settings and labels go to a temporary folder, so the user's own are left alone."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6 import QtWidgets  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from app.settings import SAMPLES_DIR, AppSettings  # noqa: E402
from app.video.tasks import PrelabelRequest  # noqa: E402

CLIP = SAMPLES_DIR / "camvid_0016E5_15hz.mp4"
FRAME = 50


class Answers:
    """The one question asked: pre-label every frame."""

    def prelabel_options(self, parent, frame_count, current, labelled):
        return PrelabelRequest()


def wait(app: QtWidgets.QApplication, done, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def main(out: Path) -> None:
    app = QtWidgets.QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(AppSettings(Path(tmp) / "studio.ini"), device="cpu")
        window.dialogs.prelabel_options = Answers().prelabel_options
        window.resize(1400, 900)
        window.show()
        window.start(CLIP, restore=False)
        wait(app, lambda: window.prelabeller.info is not None, 120)
        window.act_prelabel_video.trigger()
        wait(app, lambda: window._video_job is None and window._stats_job is None, 600)
        print(window.notice.text)
        window.show_frame(FRAME)
        window.notice.hide()
        window.statusBar().showMessage(f"Pre-labelled {window.video.frame_count} frames with the "
                                       f"default model")
        wait(app, lambda: window.saver.idle, 30)
        app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "app_video_screenshot.png")

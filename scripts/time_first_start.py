"""How long a first start on a fresh profile takes to show labels: the app opened on the
bundled sample with the default model, an empty settings file and an empty inference cache
(so no inference path has been timed on this machine), as a new user's first launch.

    .venv/bin/python scripts/time_first_start.py

Prints the seconds from creating the window to the first labels on screen, and how long the
background timing of the inference paths went on after them."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("SRCRM_INFERENCE_PATH", None)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SRCRM_CACHE_DIR"] = str(Path(tmp) / "cache")
        from PySide6 import QtWidgets

        from app.document import ImageState
        from app.main_window import MainWindow
        from app.settings import SAMPLE_IMAGE, AppSettings

        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
        start = time.monotonic()
        window = MainWindow(AppSettings(Path(tmp) / "studio.ini"), device="cpu")
        window.show()
        window.images.start(SAMPLE_IMAGE, restore=False)
        labelled = timed = None
        while time.monotonic() - start < 600 and timed is None:
            app.processEvents()
            time.sleep(0.01)
            doc = window.doc
            if labelled is None and doc is not None and doc.state == ImageState.PRELABELLED:
                labelled = time.monotonic() - start
                print(f"first labels after {labelled:.1f} s")
            if labelled is not None and not window.jobs.busy(lane="model"):
                timed = time.monotonic() - start
        print(f"inference paths timed in the background by {timed:.1f} s")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

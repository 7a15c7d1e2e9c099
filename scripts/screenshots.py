"""Render the README's app screenshots with the bundled default model (CPU, a minute or two):

* ``docs/app_screenshot.png``: the bundled sample image, pre-labelled as it opens;
* ``docs/app_video_screenshot.png``: the sample clip, pre-labelled as it opens ("Pre-label New
  Images When Opened" covers videos), on a frame in the middle, with the Video menu open;
* ``docs/screenshots/learn_mode.png``: learn-as-you-go on a folder of frames from the clip: four
  marked done after the same correction (sidewalk painted as road), the real ``srcrm learn``
  child's update kept, and the status saying so on the next image, pre-labelled again by it;
* ``docs/screenshots/learn_mode_video.png``: the same on the clip itself (pre-labelled as it
  opens): frames 0, 8, 16 and 24 corrected and marked done, and the status on frame 50, which
  the update (if kept) labelled again, with the timeline and the done frames in the list.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [OUT_DIR] [--only NAME]

``--only`` renders one of them: ``image``, ``video``, ``learn`` or ``learn-video``.

Settings and labels go to a temporary folder, so the user's own are left alone. An open menu
is a window of its own, so it is grabbed separately and painted over the window's picture."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from app.settings import SAMPLE_IMAGE, SAMPLES_DIR, AppSettings  # noqa: E402

CLIP = SAMPLES_DIR / "camvid_0016E5_15hz.mp4"
FRAME = 50


def wait(app: QtWidgets.QApplication, done, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QtWidgets.QApplication, seconds: float = 0.3) -> None:
    """Let posted events run (a label's new text lays the status bar out again one turn later),
    so the picture shows what a person would see."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def open_window(settings: Path, path: Path) -> MainWindow:
    window = MainWindow(AppSettings(settings), device="cpu")
    window.resize(1400, 900)
    window.show()
    window.images.start(path, restore=False)
    return window


def with_menu(app: QtWidgets.QApplication, window: MainWindow, menu: QtWidgets.QMenu) -> QtGui.QPixmap:
    """The window's picture with ``menu`` dropped down from its menu-bar title."""
    bar = window.menuBar()
    title = bar.actionGeometry(menu.menuAction())
    menu.popup(bar.mapToGlobal(title.bottomLeft()))
    wait(app, menu.isVisible, 5)
    settle(app)
    picture = window.grab()
    offset = window.mapFromGlobal(menu.mapToGlobal(QtCore.QPoint(0, 0)))
    painter = QtGui.QPainter(picture)
    painter.drawPixmap(offset, menu.grab())
    painter.end()
    menu.hide()
    return picture


def image_screenshot(app: QtWidgets.QApplication, tmp: Path, out: Path) -> None:
    window = open_window(tmp / "image.ini", SAMPLE_IMAGE)
    wait(app, lambda: window.model.info is not None, 120)
    wait(
        app,
        lambda: window.doc is not None and window.doc.state.value == "prelabelled" and not window.jobs.busy(),
        300,
    )
    wait(app, lambda: window.saver.idle, 30)
    window.notice.hide()
    settle(app)
    window.grab().save(str(out))
    window.close()


def video_screenshot(app: QtWidgets.QApplication, tmp: Path, out: Path) -> None:
    window = open_window(tmp / "video.ini", CLIP)
    wait(app, lambda: window.model.info is not None, 120)
    wait(app, lambda: window.jobs.busy(), 30)  # pre-labelling starts on its own
    wait(app, lambda: not window.jobs.busy(), 900)
    print(window.notice.text)
    window.videos.show_frame(FRAME)
    window.notice.hide()
    window.statusBar().showMessage(
        f"Pre-labelled {window.video.frame_count} frames with the default model as the clip opened"
    )
    wait(app, lambda: window.saver.idle, 30)
    with_menu(app, window, window.menus.menu("video")).save(str(out))
    window.close()


def learn_from_corrections(app: QtWidgets.QApplication, window: MainWindow, show, indices) -> None:
    """What both learn-as-you-go shots do: on each of ``indices`` (K of them, shown with
    ``show``) the same correction, sidewalk painted as road, then Ctrl+Enter; then the real
    ``srcrm learn`` child runs (30 s budget) and its outcome is printed."""
    from app.document.geometry import Rect
    from app.document.tools import Edit

    learning = window.learning
    learning.budget_s = 30.0
    assert learning.active, f"{window.session.mode.count} {window.session.mode.noun}s: the mode is on"
    assert len(indices) == learning.every
    road, sidewalk = (window.session.mode.classes.names.index(n) for n in ("road", "sidewalk"))
    for index in indices:
        show(index)
        wait(app, lambda: window.doc.state.value == "prelabelled" and not window.model.busy, 300)
        doc = window.doc
        h, w = doc.shape
        doc.begin_stroke("fix")
        doc.apply(Edit(Rect(0, 0, w, h), doc.labels == sidewalk, road))
        doc.end_stroke()
        window.commands.run("image.done")
    wait(app, lambda: learning.run is not None, 30)
    wait(app, lambda: learning.run is None, 600)
    wait(app, lambda: window.model.info is not None, 120)  # the kept update, loaded
    print(window.notice.text)


def save_settled(app: QtWidgets.QApplication, window: MainWindow, out: Path) -> None:
    wait(app, lambda: window.saver.idle, 30)
    settle(app, 1.0)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    window.close()


def learn_screenshot(app: QtWidgets.QApplication, tmp: Path, out: Path) -> None:
    import cv2

    folder = tmp / "street"
    folder.mkdir()
    clip = cv2.VideoCapture(str(CLIP))
    for k in range(12):
        clip.set(cv2.CAP_PROP_POS_FRAMES, 8 * k)
        ok, frame = clip.read()
        assert ok, f"frame {8 * k} of {CLIP}"
        cv2.imwrite(str(folder / f"street_{k:02d}.png"), frame)
    clip.release()
    window = open_window(tmp / "learn.ini", folder)
    wait(app, lambda: window.model.info is not None, 120)
    every = window.learning.every
    learn_from_corrections(app, window, window.session.open_document, range(every))
    window.session.open_document(every)  # the next image, pre-labelled by the update
    save_settled(app, window, out)


def learn_video_screenshot(app: QtWidgets.QApplication, tmp: Path, out: Path) -> None:
    window = open_window(tmp / "learn_video.ini", CLIP)
    wait(app, lambda: window.model.info is not None, 120)
    wait(app, lambda: window.jobs.busy(), 30)  # the clip is pre-labelled as it opens
    wait(app, lambda: not window.jobs.busy(), 900)
    dock = window.findChild(QtWidgets.QDockWidget, "imagesDock")  # wide enough for "frame 16"
    window.resizeDocks([dock], [290], QtCore.Qt.Orientation.Horizontal)
    every = window.learning.every
    learn_from_corrections(app, window, window.videos.show_frame, [8 * k for k in range(every)])
    window.videos.show_frame(FRAME)  # a frame ahead, pre-labelled again if the update was kept
    save_settled(app, window, out)


SHOTS = {
    "image": ("app_screenshot.png", image_screenshot),
    "video": ("app_video_screenshot.png", video_screenshot),
    "learn": ("screenshots/learn_mode.png", learn_screenshot),
    "learn-video": ("screenshots/learn_mode_video.png", learn_video_screenshot),
}


def main(out_dir: Path, only: str | None = None) -> None:
    app = QtWidgets.QApplication([sys.argv[0]])
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (file, render) in SHOTS.items():
            if only in (None, name):
                render(app, Path(tmp), out_dir / file)
                print(f"wrote {out_dir / file}")


if __name__ == "__main__":
    args = sys.argv[1:]
    only = args[args.index("--only") + 1] if "--only" in args else None
    rest = [a for i, a in enumerate(args) if a != "--only" and (i == 0 or args[i - 1] != "--only")]
    main(Path(rest[0]) if rest else ROOT / "docs", only)

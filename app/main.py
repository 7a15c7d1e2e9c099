"""``python main.py [PATH]``: start SRCRM Studio on a folder, an image or a video, the last
session, or the bundled sample pre-labelled by the default model."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="srcrm-studio", description=__doc__)
    parser.add_argument(
        "path", nargs="?", help="an image, a folder of images, or a video (mp4, avi, mkv, mov) to open"
    )
    parser.add_argument(
        "--model",
        help="a checkpoint (.pt) or model manifest (.json); "
        "default: the last one used, else the bundled model",
    )
    parser.add_argument("--device", choices=("auto", "cpu"), help="where pre-labelling runs")
    parser.add_argument("--no-restore", action="store_true", help="do not reopen the last session")
    parser.add_argument("--settings", help="keep settings in this INI file (portable mode)")
    return parser.parse_args(argv)


def display_problem(environ: Mapping[str, str]) -> str | None:
    """Why no window can open here (no display on Linux), in a line; None when one can. Qt's
    own message comes after a long start and blames a missing xcb-cursor0."""
    if (
        not sys.platform.startswith("linux")
        or environ.get("QT_QPA_PLATFORM")
        or environ.get("WAYLAND_DISPLAY")
    ):
        return None
    display = environ.get("DISPLAY", "")
    if not display:
        return (
            "SRCRM Studio needs a display and none is set (DISPLAY, WAYLAND_DISPLAY): run it on the "
            "desktop, over ssh -X, or under xvfb-run"
        )
    if display.startswith(":") and not Path(f"/tmp/.X11-unix/X{display[1:].split('.')[0]}").exists():
        return f"SRCRM Studio needs a display: no X server answers on DISPLAY={display} (is it running?)"
    return None


def create_window(argv: list[str] | None = None):
    """Parse ``argv``, make the QApplication if there is none, and show the main window on
    the path asked for, the last session, or the bundled sample."""
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    from PySide6 import QtWidgets

    from .main_window import MainWindow
    from .settings import APPLICATION, ORGANIZATION, AppSettings

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    window = MainWindow(AppSettings(args.settings), model_path=args.model, device=args.device)
    window.show()
    window.images.start(args.path, restore=not args.no_restore)
    from srcrm.matting import kernels

    kernels.compile_ahead()  # once per install, at low priority: Refine Edge then starts at once
    return window


def main(argv: list[str] | None = None) -> int:
    problem = display_problem(os.environ)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    window = create_window(argv)  # (held here so it lives while the event loop runs)
    from PySide6 import QtWidgets

    code = QtWidgets.QApplication.exec()
    del window
    return code


if __name__ == "__main__":
    sys.exit(main())

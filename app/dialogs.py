"""Every question the app asks the person, as one typed protocol: the window passes one object
that answers them (:class:`app.qt_dialogs.QtDialogs`) to every controller, once; tests pass one
with canned answers. ``parent`` is the widget a dialog sits over."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6 import QtWidgets

from .document.classes import ClassTable
from .io_actions.options import ClassItem, ExportOptions
from .video.tasks import PrelabelRequest

if TYPE_CHECKING:
    from srcrm.train.finetune import FinetuneConfig

Parent = QtWidgets.QWidget | None
SKIP, OVERWRITE = "skip", "overwrite"


class Dialogs(Protocol):
    # --- opening ------------------------------------------------------------------------------

    def open_image(self, parent: Parent, start: str) -> Path | None: ...

    def open_folder(self, parent: Parent, start: str) -> Path | None: ...

    def open_video(self, parent: Parent, start: str) -> Path | None: ...

    def open_sequence(self, parent: Parent, start: str) -> Path | None: ...

    def open_checkpoint(self, parent: Parent, start: str) -> Path | None: ...

    # --- before replacing or losing work ------------------------------------------------------

    def confirm_replace_edits(self, parent: Parent, name: str) -> bool: ...

    def confirm_quit_unsaved(self, parent: Parent, names: list[str], reason: str) -> bool:
        """True to quit although the labels of ``names`` could not be saved."""
        ...

    def folder_edits_policy(self, parent: Parent, edited: int, total: int) -> str | None:
        """SKIP or OVERWRITE the images with human edits, or None to cancel."""
        ...

    # --- classes ------------------------------------------------------------------------------

    def pick_color(
        self, parent: Parent, rgb: tuple[int, int, int], title: str
    ) -> tuple[int, int, int] | None: ...

    def ask_text(self, parent: Parent, title: str, label: str, text: str = "") -> str | None: ...

    # --- exports and imports ------------------------------------------------------------------

    def save_file(self, parent: Parent, title: str, start: Path, file_filter: str) -> Path | None: ...

    def open_file(self, parent: Parent, title: str, start: Path, file_filter: str) -> Path | None: ...

    def export_folder(self, parent: Parent, title: str, start: Path) -> Path | None: ...

    def export_options(
        self,
        parent: Parent,
        title: str,
        options: ExportOptions,
        fields: Sequence[str],
        classes: Sequence[ClassItem] = (),
        total_pixels: int = 1,
    ) -> ExportOptions | None:
        """The options of one export, or None if the person cancels."""
        ...

    # --- video --------------------------------------------------------------------------------

    def prelabel_options(
        self, parent: Parent, frame_count: int, current: int, labelled: int
    ) -> PrelabelRequest | None: ...

    def smooth_radius(self, parent: Parent) -> int | None: ...

    def propagate_count(self, parent: Parent, default: int, maximum: int) -> int | None: ...

    def confirm_propagation(self, parent: Parent, preview: QtWidgets.QDialog) -> bool:
        """Show a propagated correction's preview; True to write it."""
        ...

    def matte_classes(self, parent: Parent, classes: ClassTable, current: int) -> list[int] | None: ...

    # --- help ---------------------------------------------------------------------------------

    def show_info(self, parent: Parent, title: str, html: str) -> None:
        """A message to read (About): rich text, links open in the browser."""
        ...

    def open_url(self, url: str) -> None:
        """Open a document or a web page outside the app."""
        ...

    # --- fine-tuning --------------------------------------------------------------------------

    def finetune_options(
        self, parent: Parent, defaults: FinetuneConfig, names: list[str], train_only: Sequence[str] = ()
    ) -> FinetuneConfig | None:
        """The options of a fine-tune (``names``: what it would train on, ``train_only`` those
        of them never set aside to measure it), or None."""
        ...

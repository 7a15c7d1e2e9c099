"""Help > About and Help > Documentation: what this is (version, model, licences) and where to
read more. The documents are the repository's own Markdown files (``README.md``, ``docs/``),
opened outside the app; an install without them links to nothing."""

from __future__ import annotations

import functools
import importlib.metadata
from html import escape
from pathlib import Path

from .session import Command, Menu, Session
from .ui import Ui

ROOT = Path(__file__).resolve().parent.parent
DOCS = (  # (menu title, file under the repository root)
    ("&User Guide (README)", "README.md"),
    ("&Refine Edge", "docs/refine_edge.md"),
    ("Label &Formats", "docs/formats.md"),
    ("The &Default Model", "docs/default_model.md"),
    ("How the App Is &Built", "docs/design.md"),
)


def version() -> str:
    try:
        return importlib.metadata.version("srcrm-studio")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def about_html(session: Session) -> str:
    """Version, the model in use and the licences, as rich text."""
    info = session.model.info
    model = f"{info.name} on {info.device_name}" if info is not None else "none loaded"
    weights = ROOT / "resources" / "models" / "LICENCE.md"
    return (
        f"<h3>SRCRM Studio {escape(version())}</h3>"
        f"<p>Semantic segmentation labelling: a model pre-labels, you correct.</p>"
        f"<p><b>Model:</b> {escape(model)}</p>"
        f"<p><b>Licence:</b> the code is MIT-licensed (<a href='{(ROOT / 'LICENSE').as_uri()}'>LICENSE</a>). "
        f"The bundled weights were trained on CamVid, for non-commercial research use only "
        f"(<a href='{weights.as_uri()}'>their licence</a>).</p>"
    )


class HelpCommands:
    def __init__(self, session: Session, ui: Ui) -> None:
        self.session = session
        self.ui = ui

    def commands(self) -> list[Command | Menu]:
        docs = [(title, ROOT / name) for title, name in DOCS if (ROOT / name).is_file()]
        return [
            Command("help.about", "&About SRCRM Studio", self.about, "help", "2_about"),
            Menu("help.docs", "&Documentation", "help", "1_docs"),
            *[
                Command(f"help.docs.{k}", title, functools.partial(self.open_doc, path), "help.docs")
                for k, (title, path) in enumerate(docs)
            ],
        ]

    def open_doc(self, path: Path) -> None:
        self.ui.dialogs.open_url(path.as_uri())

    def about(self) -> None:
        self.ui.dialogs.show_info(self.ui.parent, "About SRCRM Studio", about_html(self.session))

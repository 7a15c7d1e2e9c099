"""Which model a folder or video is labelled with: the fine-tuned version it was last used with
(:mod:`app.document.model_versions`), so that opening it brings that model back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..document.model_versions import ModelVersions, VersionRegistryError


@dataclass(frozen=True)
class ModelChoice:
    """``switch``: load ``path`` (None: the bundled default); ``notice``: what to tell the
    person instead (at ``level``)."""

    switch: bool = False
    path: str | None = None
    notice: str | None = None
    level: str = "warning"


def model_for(label_dir: Path, current: str | None) -> ModelChoice:
    """The model for the labels in ``label_dir`` while ``current`` is loaded. A folder that
    never kept a fine-tuned version leaves the model alone."""
    try:
        registry = ModelVersions.for_label_dir(label_dir)
    except VersionRegistryError as exc:
        return ModelChoice(notice=str(exc), level="error")
    if not len(registry):
        return ModelChoice()
    target = registry.current_file()
    if target is not None and not target.is_file():
        return ModelChoice(
            notice=f"This folder's model {target.name} is missing from {target.parent}; "
            f"the current model stays."
        )
    if target is None:
        return ModelChoice(switch=current is not None)
    same = current is not None and Path(current).resolve() == target.resolve()
    return ModelChoice(switch=not same, path=str(target))

"""Which labels are on disk: the revision of each document last handed to the writer, the
documents whose state or classes changed since, and the images a person agreed to have their
edits replaced by the model. Kept apart from any window, so it survives a view being rebuilt
and is tested on its own."""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class SaveState:
    def __init__(self) -> None:
        self._saved: dict[Hashable, int] = {}
        self._meta_dirty: set[Hashable] = set()
        self._overwrite_ok: set[Hashable] = set()

    def loaded(self, key: Hashable, revision: int) -> None:
        """``key`` was just read from disk at ``revision``: nothing to write yet."""
        self._saved[key] = revision
        self._meta_dirty.discard(key)

    def needs_save(self, key: Hashable, revision: int) -> bool:
        return self._saved.get(key) != revision or key in self._meta_dirty

    def submitted(self, key: Hashable, revision: int) -> None:
        """``revision`` of ``key`` went to the writer (its state and classes with it)."""
        self._saved[key] = revision
        self._meta_dirty.discard(key)

    def meta_changed(self, key: Hashable) -> None:
        """The state (done, edited) or the class table changed, the labels maybe not."""
        self._meta_dirty.add(key)

    def unsaved(self, key: Hashable) -> None:
        """A write failed (or Ctrl+S asks for one): the next autosave writes ``key`` again."""
        self._saved.pop(key, None)

    def approve_overwrite(self, keys: Iterable[Hashable]) -> None:
        """A person said yes: the model's next labels may replace these images' edits."""
        self._overwrite_ok.update(keys)

    def take_approval(self, key: Hashable) -> bool:
        """Whether replacing ``key``'s edits was approved; an approval is used once."""
        approved = key in self._overwrite_ok
        self._overwrite_ok.discard(key)
        return approved

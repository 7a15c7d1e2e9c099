"""The app's commands as a table, without Qt, as :mod:`app.document.tool_table` is for tools.

Each controller contributes :class:`Command` entries (title, keys, menu place, what it runs,
when it is enabled); :class:`Menu` entries give the menus and submenus they go in. The menu
bar (:mod:`app.menus`) only draws the table. Nobody tells the menus to refresh: the table
:meth:`~CommandTable.follow`-s the events that change what is enabled, ticked or named (the
session's, the job runner's, a controller's own) and announces ``changed``; the view then asks
every entry again.

Within a menu, entries sort by ``group`` (then the order they were added); a separator goes
between two groups. Menus on the bar come in the order they were added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..document.events import Event


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Command:
    """``title``: text or a function giving it (e.g. "Undo Stroke"); ``menu``: the id of the
    menu it sits in (None: keys only); ``shortcuts``: key sequences as text ("Ctrl+Shift+L");
    ``checked``: for a toggle, whether it is on (``radio``: the toggles of one exclusive set);
    ``also``: other menus it is shown in, in the same group."""

    id: str
    title: str | Callable[[], str]
    run: Callable[[], Any]
    menu: str | None = None
    group: str = ""
    shortcuts: tuple[str, ...] = ()
    tip: str = ""
    enabled: Callable[[], bool] = _always
    checked: Callable[[], bool] | None = None
    radio: str | None = None
    also: tuple[str, ...] = ()

    def text(self) -> str:
        return self.title if isinstance(self.title, str) else self.title()

    def is_enabled(self) -> bool:
        """Whether it can run now; a check that fails greys the entry out, nothing worse."""
        try:
            return bool(self.enabled())
        except Exception:  # noqa: BLE001 - a broken check must not take the menus down
            return False


@dataclass(frozen=True)
class Menu:
    """A menu (``parent`` None: on the menu bar) or a submenu, placed by ``group`` like a
    command. ``fill``: a menu whose entries are made when it opens (recent folders, model
    versions); ``mirror``: the id of a menu whose entries it shows too (a second place for
    them); ``enabled`` None: enabled when any entry is."""

    id: str
    title: str
    parent: str | None = None
    group: str = ""
    fill: Callable[[], list[Command]] | None = None
    mirror: str | None = None
    enabled: Callable[[], bool] | None = None

    def is_enabled(self) -> bool:
        try:
            return self.enabled is None or bool(self.enabled())
        except Exception:  # noqa: BLE001 - as for a command
            return False


class Source(Protocol):
    """Anything with ``connect(callback)``: an :class:`Event`, or a Qt signal."""

    def connect(self, callback: Callable[..., Any], /) -> Any: ...


class CommandTable:
    """Event: ``changed()``: what is enabled, ticked or named may have changed."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._menus: dict[str, Menu] = {}
        self._added: dict[str, int] = {}  # "c:id" / "m:id" -> when it was first added
        self.changed = Event()

    def add(self, *entries: Command | Menu) -> None:
        """Add entries; one with the id of an earlier one replaces it in place."""
        for entry in entries:
            table: dict[str, Any] = self._menus if isinstance(entry, Menu) else self._commands
            table[entry.id] = entry
            self._added.setdefault(self._key(entry), len(self._added))

    @staticmethod
    def _key(entry: Command | Menu) -> str:
        return f"{'m' if isinstance(entry, Menu) else 'c'}:{entry.id}"

    def follow(self, *sources: Source) -> None:
        """Announce ``changed`` whenever one of ``sources`` fires."""
        for source in sources:
            source.connect(self._announce)

    def _announce(self, *_args: object) -> None:
        self.changed.emit()

    # --- reading ------------------------------------------------------------------------------

    def __getitem__(self, command_id: str) -> Command:
        return self._commands[command_id]

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def menu(self, menu_id: str) -> Menu:
        return self._menus[menu_id]

    def menu_bar(self) -> list[Menu]:
        return [m for m in self._menus.values() if m.parent is None]

    def entries(self, menu_id: str) -> list[Command | Menu]:
        """What ``menu_id`` holds, sorted by group, then in the order they were added."""
        held: list[Command | Menu] = [
            c for c in self._commands.values() if c.menu == menu_id or menu_id in c.also
        ]
        held += [m for m in self._menus.values() if m.parent == menu_id]
        return sorted(held, key=lambda e: (e.group, self._added[self._key(e)]))

    def run(self, command_id: str) -> bool:
        """Run a command if it is enabled (as its menu entry or key would); whether it ran."""
        command = self._commands[command_id]
        if not command.is_enabled():
            return False
        command.run()
        return True

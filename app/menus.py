"""The menu bar and keyboard shortcuts, drawn from the command table
(:class:`~app.session.commands.CommandTable`): one QAction per command, enabled, ticked and
named as the table says whenever it announces a change. Nothing here decides what a command
does or when it applies."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from .document.tool_table import TOOLS
from .session.commands import Command, CommandTable, Menu

SHORTCUTS_HELP = """<table>
<tr><td><b>A</b> / <b>D</b></td><td>previous / next image (Shift+D: next unfinished image or frame)</td></tr>
<tr><td><b>1</b>…<b>9</b>, <b>0</b></td><td>classes 1–10 (Alt+1…0: classes 11–20)</td></tr>
{tools}
<tr><td><b>[</b> / <b>]</b>, Ctrl+wheel</td><td>smaller / larger brush</td></tr>
<tr><td>Ctrl+Shift+G</td><td>fill unlabelled gaps from the neighbouring classes</td></tr>
<tr><td>Alt+click</td><td>pick the class under the cursor</td></tr>
<tr><td>Wheel, Space+drag, middle drag</td><td>zoom, pan</td></tr>
<tr><td>Ctrl+0</td><td>fit to window</td></tr>
<tr><td><b>V</b></td><td>hide / show the overlay</td></tr>
<tr><td>Ctrl+1 / 2 / 3</td><td>classes / boundaries only / model confidence</td></tr>
<tr><td>Ctrl+Z; Ctrl+Y or Ctrl+Shift+Z</td><td>undo; redo (a step per stroke)</td></tr>
<tr><td>Ctrl+Enter</td><td>mark the image done (or not)</td></tr>
<tr><td>Ctrl+L, Ctrl+Shift+L</td><td>pre-label this image, the whole folder</td></tr>
<tr><td>Left / Right, <b>,</b> / <b>.</b></td><td>video: previous / next frame (A / D too;
Shift: one second)</td></tr>
<tr><td><b>K</b>, Home / End, Ctrl+J</td><td>video: play / pause, first / last frame, jump to a
frame</td></tr>
<tr><td>Ctrl+Alt+O, Ctrl+Alt+L, Ctrl+Alt+P</td><td>video: open, pre-label, propagate a
correction</td></tr>
<tr><td>Ctrl+Alt+E</td><td>Refine Edge: a soft cut-out of a class (alpha matting)</td></tr>
</table>"""


def shortcuts_help() -> str:
    """The Help > Keyboard Shortcuts table; the tool rows come from the tool table."""
    tools = "\n".join(
        f"<tr><td><b>{spec.shortcut}</b></td><td>{spec.label.lower()}</td></tr>" for spec in TOOLS
    )
    return SHORTCUTS_HELP.format(tools=tools)


class MenuView:
    """Draws ``table`` on ``menu_bar``; the actions are added to ``shortcut_owner`` too, so
    their keys work with the menus hidden."""

    def __init__(self, table: CommandTable, menu_bar: QtWidgets.QMenuBar, shortcut_owner: QtWidgets.QWidget):
        self.table = table
        self._owner = shortcut_owner
        self._actions: dict[str, QtGui.QAction] = {}
        self._menus: dict[str, QtWidgets.QMenu] = {}
        self._groups: dict[str, QtGui.QActionGroup] = {}
        for command in table:
            self._actions[command.id] = self._make_action(command, shortcut_owner)
        for menu in table.menu_bar():
            self._menus[menu.id] = qmenu = menu_bar.addMenu(menu.title)
            self._draw(menu, qmenu)
        table.changed.connect(self.refresh)
        self.refresh()

    def action(self, command_id: str) -> QtGui.QAction:
        """The QAction of a command (the tool palette shows the tools' own)."""
        return self._actions[command_id]

    def menu(self, menu_id: str) -> QtWidgets.QMenu:
        return self._menus[menu_id]

    # --- drawing ------------------------------------------------------------------------------

    def _make_action(self, command: Command, parent: QtWidgets.QWidget) -> QtGui.QAction:
        action = QtGui.QAction(command.text(), parent)
        if command.shortcuts:
            action.setShortcuts([QtGui.QKeySequence(s) for s in command.shortcuts])
        if command.tip:
            action.setToolTip(command.tip)
            action.setStatusTip(command.tip)
        if command.checked is not None:
            action.setCheckable(True)
        if command.radio is not None:
            group = self._groups.get(command.radio)
            if group is None:
                group = self._groups[command.radio] = QtGui.QActionGroup(parent)
            group.addAction(action)
        action.triggered.connect(lambda _=False, c=command: self._trigger(c))
        parent.addAction(action)
        return action

    def _trigger(self, command: Command) -> None:
        if command.is_enabled():
            command.run()
        self.refresh()  # a toggle shows its state as the command left it

    def _draw(self, menu: Menu, qmenu: QtWidgets.QMenu) -> None:
        qmenu.setToolTipsVisible(True)
        if menu.fill is not None:
            qmenu.aboutToShow.connect(lambda m=menu, q=qmenu: self._fill(m, q))
            return
        group = None
        for entry in self.table.entries(menu.mirror or menu.id):
            if group is not None and entry.group != group:
                qmenu.addSeparator()
            group = entry.group
            if isinstance(entry, Menu):
                self._menus[entry.id] = sub = qmenu.addMenu(entry.title)
                self._draw(entry, sub)
            else:
                qmenu.addAction(self._actions[entry.id])

    def _fill(self, menu: Menu, qmenu: QtWidgets.QMenu) -> None:
        """A menu made when it opens (recent folders, model versions)."""
        assert menu.fill is not None
        qmenu.clear()
        for command in menu.fill():
            action = qmenu.addAction(command.text())
            action.setEnabled(command.is_enabled())
            if command.tip:
                action.setToolTip(command.tip)
            if command.checked is not None:
                action.setCheckable(True)
                action.setChecked(command.checked())
            action.triggered.connect(lambda _=False, c=command: self._trigger(c))

    # --- following the table ------------------------------------------------------------------

    def refresh(self) -> None:
        """Enable, tick and name every action as its command says now."""
        for command in self.table:
            action = self._actions[command.id]
            action.setEnabled(command.is_enabled())
            if not isinstance(command.title, str):
                action.setText(command.text())
            if command.checked is not None:
                action.setChecked(bool(command.checked()))
        for menu_id, qmenu in reversed(self._menus.items()):  # submenus before their menus
            menu = self.table.menu(menu_id)
            if menu.enabled is not None:
                qmenu.menuAction().setEnabled(menu.is_enabled())
            elif menu.fill is None and menu.parent is not None:
                entries = [a for a in qmenu.actions() if not a.isSeparator()]
                qmenu.menuAction().setEnabled(any(a.isEnabled() for a in entries))

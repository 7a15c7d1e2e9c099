"""The File menu's Export and Import entries, over the engine's formats (:mod:`srcrm.formats`).

* :mod:`~app.io_actions.io_commands`: :class:`IoActions`, the entries as commands (one per
  format of the engine's table, :mod:`srcrm.formats.registry`) and the folder export running;
* :mod:`~app.io_actions.exporters`: the open image in any format; the folder as COCO JSON (in
  a worker thread, with progress and cancel: :mod:`~app.io_actions.folder_export`); a cut-out
  or SVG path of one class;
* :mod:`~app.io_actions.importers`: a file of any readable format into the open image, as one
  undo step;
* :mod:`~app.io_actions.common`: the context they share, the one guard on where an export may
  write, the one wrapper that reports their failures;
* :mod:`~app.io_actions.options`, :mod:`~app.io_actions.export_dialog`: what an export asks.

The package imports nothing itself, so its plain-data modules load without the others.
"""

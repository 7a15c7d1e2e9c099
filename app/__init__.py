"""SRCRM Studio: the desktop annotation app.

Without Qt: ``document`` holds the data (image, label map, undo, tools, project on disk),
``session`` what is open and what is saved (image mode or video mode behind one interface),
and ``jobs`` the background work (one runner; the model on its own thread). The other modules
are the Qt views onto them. Imports inside the package are relative, so it can be installed
under another name.
"""

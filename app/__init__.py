"""SRCRM Studio: the desktop annotation app.

``app.document`` holds the data (image, label map, undo, project on disk) with no Qt in it, so a
video frame or a training job can reuse it; the other modules are the Qt views onto it.
"""

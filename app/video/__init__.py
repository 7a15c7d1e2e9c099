"""Video mode: label a video (or an image sequence) frame by frame in the same canvas, with the
same tools, as an image.

* :mod:`~app.video.session`: an open video, its label store and class table (no Qt);
* :mod:`~app.video.video_flow`: :class:`VideoFlow`, the controller that opens videos for the
  session, owns the timeline, steps and plays, and its frame commands;
* :mod:`~app.video.video_tasks`: :class:`VideoTasks` (owned by VideoFlow): pre-label, smooth,
  propagate, export, one foreground job at a time, and the timeline's statistics;
* :mod:`~app.video.tasks`: that work itself, over :mod:`srcrm.video`, run as jobs (run by
  :class:`~app.jobs.JobRunner`; no Qt);
* :mod:`~app.video.exports`: the Video > Export commands;
* :mod:`~app.video.timeline`: the slider, play button, jump box and flicker strip;
* :mod:`~app.video.propagate_dialog`: the preview of a propagated correction;
* :mod:`~app.video.video_dialogs`: the forms the video questions are asked in.

The package imports nothing itself, so the Qt-free parts load without Qt.
"""

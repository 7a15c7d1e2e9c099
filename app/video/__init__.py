"""Video mode: label a video (or an image sequence) frame by frame in the same canvas, with the
same tools, as an image.

* :mod:`~app.video.session`: an open video, its label store and class table (no Qt);
* :mod:`~app.video.video_flow`: :class:`VideoFlow`, owned by the main window: open, show a frame,
  step, play, save frames;
* :mod:`~app.video.job_flow`: pre-label, smooth, propagate, with progress and cancel;
* :mod:`~app.video.tasks`: that work itself, over :mod:`srcrm.video`, run as
  jobs (run by :class:`~app.jobs.JobRunner`);
* :mod:`~app.video.timeline`: the slider, play button, jump box and flicker strip;
* :mod:`~app.video.propagate_dialog`: the preview of a propagated correction;
* :mod:`~app.video.exports`: the Video export menu;
* :mod:`~app.video.video_menu`, :mod:`~app.video.video_dialogs`: actions, keys, questions.

The package imports nothing itself, so the Qt-free parts load without Qt.
"""

"""Fine-tuning from the app (issue 7): the options, the child process that trains, its live
progress, the before/after report, and keeping a model as a version of the project.

* :mod:`~app.finetune.staging`: the project's checked labels in the engine's layout (no Qt);
* :mod:`~app.finetune.process`: ``python -m srcrm finetune`` as a child process, events as signals;
* :mod:`~app.finetune.options_dialog`, :mod:`~app.finetune.progress_dialog`,
  :mod:`~app.finetune.report_dialog`: what the user sees;
* :mod:`~app.finetune.flow`: :class:`FinetuneFlow`, the controller that ties them together
  (its commands: Model > Fine-tune, Model > Versions).

The versions themselves are kept by :mod:`app.document.model_versions` (no Qt).
"""

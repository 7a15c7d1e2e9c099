"""Fine-tuning as the user sees it: the options, the live progress window, the before/after
report, keeping a model as a version of the project, and switching versions (which version a
folder opens with is the session's choice, :mod:`app.session.model_choice`).

It trains on the open folder's checked images or, in video mode, the open video's edited
frames; either way the versions are kept in the label folder beside them.

The training runs in a child process (:mod:`app.finetune.process`) on a staged copy of the
labels (:mod:`app.finetune.staging`, written on a worker thread so that decoding many large
frames never holds up the window) in a temporary folder, where the new model is written too:
until the user keeps it, nothing in the project changes, and whatever happens (failure, cancel,
discard, the app closing) the temporary folder is removed.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..document.events import Event
from ..document.model_versions import ModelVersion, ModelVersions, VersionRegistryError
from ..jobs import Job
from ..session import Command, Menu, Session
from ..ui import Ui
from .options_dialog import default_config
from .process import FinetuneCommand, FinetuneProcess
from .progress_dialog import FinetuneProgressDialog
from .report_dialog import FinetuneReportDialog
from .staging import (
    StagedData,
    StagingCancelled,
    shortage,
    stage_training_data,
    train_only_names,
    training_names,
)


@dataclass
class FinetuneRun:
    """One fine-tuning job, from start to the user's keep or discard."""

    process: FinetuneProcess
    scratch: tempfile.TemporaryDirectory
    out_path: Path
    label_dir: Path  # the folder's or video's labels (the model's versions go there)
    parent: str | None  # "default", a version id, or the parent checkpoint's path
    progress: FinetuneProgressDialog
    staging: Job | None = None  # staging the labels, until the process starts
    report_dialog: FinetuneReportDialog | None = None


class FinetuneFlow:
    """Event: ``changed()`` when a fine-tune starts or ends (the command's title follows)."""

    def __init__(self, session: Session, ui: Ui) -> None:
        self.session = session
        self.ui = ui
        self.run: FinetuneRun | None = None  # the fine-tuning job, until kept or discarded
        self.changed = Event()

    def commands(self) -> list[Command | Menu]:
        model = self.session.model
        return [
            Command(
                "model.finetune",
                lambda: "Show &Fine-tuning Progress…" if self.run is not None else "&Fine-tune on My Labels…",
                self.ask_and_start,
                "model",
                "5_versions",
                tip="Train the current model on the images you edited or marked done",
            ),
            Menu(
                "model.versions",
                "&Versions",
                "model",
                "5_versions",
                fill=self.version_commands,
                enabled=lambda: not model.busy,
            ),  # never swap the model under a running job
        ]

    # --- versions -----------------------------------------------------------------------------

    def _finetune_target(self):
        """What fine-tuning trains on: the open video, else the open folder (a
        :class:`~app.video.session.VideoSession`, a :class:`~app.document.project.Project`,
        or None)."""
        mode = self.session.mode
        return mode.finetune_target if mode is not None else None

    def model_versions(self, label_dir: Path | None = None) -> ModelVersions | None:
        """The open folder's or video's registry; None (after a notice) when it is damaged."""
        if label_dir is None:
            target = self._finetune_target()
            if target is None:
                return None
            label_dir = target.label_dir
        try:
            return ModelVersions.for_label_dir(label_dir)
        except VersionRegistryError as exc:
            self.ui.notify(str(exc), "error", key="versions")
            return None

    def version_commands(self) -> list[Command]:
        """The Versions menu as it opens: the bundled model, then each kept version, ticked
        where it is the one in use."""

        def note(text: str) -> Command:
            return Command(f"model.versions.{text}", text, lambda: None, enabled=lambda: False)

        registry = self.model_versions()
        if registry is None:
            target = self._finetune_target()
            return [
                note(
                    "No folder or video open"
                    if target is None
                    else "The version list is damaged (see the message)"
                )
            ]
        path = self.session.model_path
        using = registry.version_of_file(path)
        entries = [
            Command(
                "model.versions.default",
                "Bundled Default Model",
                lambda: self.switch_model_version(None),
                checked=lambda: path is None,
            ),
        ]

        def entry(version: ModelVersion) -> Command:
            present = registry.file_of(version).is_file()
            return Command(
                f"model.versions.{version.id}",
                version.describe() if present else f"{version.describe()} (file missing)",
                functools.partial(self.switch_model_version, version.id),
                tip=f"From {version.parent}; trained on {len(version.train_names)} images, "
                f"measured on {len(version.holdout_names)}; {version.created}",
                enabled=lambda: present,
                checked=lambda: using is not None and using.id == version.id,
            )

        entries += [entry(version) for version in registry.list()]
        if not len(registry):
            entries.append(note("No fine-tuned versions yet"))
        if path is not None and using is None:
            entries.append(note(f"Now: {Path(path).name}"))
        return entries

    def switch_model_version(self, version_id: str | None) -> None:
        """Use a version of the open project (None: the bundled default) and remember it."""
        registry = self.model_versions()
        if registry is None:
            return
        try:
            registry.set_current(version_id)
        except (KeyError, OSError) as exc:
            self.ui.notify(f"Could not switch the model: {exc}", "error", key="versions")
            return
        self._switch_model(registry.current_file())

    def _switch_model(self, path: Path | None) -> None:
        """Load ``path`` (None: the bundled default); jobs still predicting with the old model
        are cancelled and the load waits for them (see :meth:`~app.jobs.ModelService.load`)."""
        self.session.load_model(str(path) if path is not None else None)

    # --- starting -----------------------------------------------------------------------------

    def ask_and_start(self) -> None:
        """The menu entry: check, ask for the options, start."""
        run = self.run
        if run is not None:
            dialog = run.report_dialog or run.progress
            dialog.show()
            dialog.raise_()
            return
        if not self._finetune_possible():
            return
        target = self._finetune_target()
        names, never_set_aside = training_names(target), train_only_names(target)
        config = self.ui.dialogs.finetune_options(
            self.ui.parent, self._finetune_defaults(), names, never_set_aside
        )
        if config is not None:
            self.start(config)

    def _finetune_defaults(self):
        return default_config(self.session.device)

    def _finetune_possible(self) -> bool:
        if self._finetune_target() is None:
            self.ui.notify("Open a folder of images or a video to fine-tune on.", "warning", key="finetune")
            return False
        if self.session.model.info is None:
            self.ui.notify(
                "Fine-tuning starts from the current model, which is not loaded; "
                "load one from the Model menu first.",
                "warning",
                key="finetune",
            )
            return False
        if self.model_versions() is None:  # a new version could not be recorded
            return False
        self.session.autosave()  # every stroke on disk before the labels are staged
        self.session.saver.flush()
        message = shortage(self._finetune_target())
        if message is not None:
            self.ui.notify(message, "warning", key="finetune")
            return False
        return True

    def start(self, config=None) -> FinetuneRun | None:
        """Open the progress window, stage the labels on a worker thread, then start the
        child process with ``config`` (a ``FinetuneConfig``; None: the engine's defaults on
        this app's device). Cancel works from the start, staging included."""
        info, mode = self.session.model.info, self.session.mode
        if self.run is not None or not self._finetune_possible() or info is None or mode is None:
            return None
        config = config or self._finetune_defaults()
        target = self._finetune_target()
        scratch = tempfile.TemporaryDirectory(prefix="srcrm-studio-finetune-")
        root = Path(scratch.name)
        ignore_index = info.ignore_index
        staging = self.session.jobs.submit(
            "Staging", lambda job: _stage(target, root / "data", ignore_index, job), lane="staging"
        )
        count = len(training_names(target))
        model_name = info.name
        preparing, labelled = f"Preparing {count} {mode.noun}s…", mode.training_source
        progress = FinetuneProgressDialog(
            f"Fine-tuning <b>{model_name}</b> on {labelled}.", config.steps, self.ui.parent
        )
        progress.show_staging(preparing, 0, count)
        process = FinetuneProcess(self.ui.parent)
        run = FinetuneRun(
            process,
            scratch,
            root / "model.pt",
            target.label_dir,
            self._finetune_parent(),
            progress,
            staging=staging,
        )
        staging.progress.connect(lambda p: progress.show_staging(preparing, p.done, p.total))
        staging.succeeded.connect(
            lambda staged: self._on_finetune_staged(
                run, config, staged, lambda n: f"Fine-tuning <b>{model_name}</b> on {n} {labelled}"
            )
        )
        staging.failed.connect(lambda message: self._on_staging_failed(run, message))
        process.started.connect(progress.on_started)
        process.step.connect(progress.on_step)
        process.evaluated.connect(progress.on_eval)
        process.succeeded.connect(lambda report: self._on_finetune_succeeded(run, report))
        process.failed.connect(lambda message: self._on_finetune_failed(run, message))
        process.cancelled.connect(lambda: self._on_finetune_cancelled(run))
        progress.cancel_requested.connect(lambda: self._cancel_finetune(run))
        self.run = run
        self.changed.emit()
        progress.show()
        return run

    def _finetune_parent(self) -> str:
        """What the new model is trained from: a version id, "default", or a file's path."""
        registry = self.model_versions()
        path = self.session.model_path
        parent_version = registry.version_of_file(path) if registry else None
        return parent_version.id if parent_version else "default" if path is None else path

    def _on_finetune_staged(
        self, run: FinetuneRun, config, staged: StagedData | None, what: Callable[[int], str]
    ) -> None:
        """Staging is over (``staged`` None: cancelled); ``what(n)`` begins the summary."""
        cancelled = run.staging is not None and run.staging.cancelled
        run.staging = None
        if staged is None or cancelled:
            self._on_finetune_cancelled(run)
            return
        from srcrm.models.checkpoint import default_checkpoint_path
        from srcrm.train.finetune import split_holdout

        command = FinetuneCommand(
            self.session.model_path or str(default_checkpoint_path()), staged.root, run.out_path, config
        )
        train, holdout = split_holdout(staged.names, config.holdout_fraction, config.seed, staged.train_only)
        run.progress.show_training(
            f"{what(len(staged.names))}: {len(train)} to train on, {len(holdout)} set "
            f"aside to measure it. You can keep working; the current model stays in use until "
            f"you keep the new one."
        )
        run.process.start(command.argv())

    def _on_staging_failed(self, run: FinetuneRun, message: str) -> None:
        """Staging stopped on a :class:`StagingError` or an OSError (or a cancel meanwhile)."""
        cancelled = run.staging is not None and run.staging.cancelled
        run.staging = None
        if cancelled:
            self._on_finetune_cancelled(run)
            return
        run.progress.finished_running = True
        run.progress.close()
        self.ui.notify(f"Fine-tuning could not start: {message}", "error", key="finetune")
        self._end_finetune(run)

    def _cancel_finetune(self, run: FinetuneRun) -> None:
        if run.staging is not None:
            run.staging.cancel()
        else:
            run.process.cancel()

    # --- endings ------------------------------------------------------------------------------

    def _on_finetune_failed(self, run: FinetuneRun, message: str) -> None:
        run.progress.show_failed(message, run.process.tail())
        run.progress.show()
        self.ui.notify(
            f"Fine-tuning failed: {message} The current model and your labels are unchanged.",
            "error",
            key="finetune",
        )
        self._end_finetune(run)

    def _on_finetune_cancelled(self, run: FinetuneRun) -> None:
        run.progress.show_cancelled()
        self.ui.notify("Fine-tuning cancelled; the model is unchanged", "status")
        self._end_finetune(run)

    def _on_finetune_succeeded(self, run: FinetuneRun, report: dict) -> None:
        run.progress.finished_running = True
        run.progress.close()
        registry = self.model_versions(run.label_dir)
        name = registry.next_id() if registry is not None else "a new version"
        dialog = FinetuneReportDialog(report, name, self.ui.parent)
        run.report_dialog = dialog
        dialog.finished.connect(lambda result: self._on_report_choice(run, report, bool(result)))
        dialog.open()

    def _on_report_choice(self, run: FinetuneRun, report: dict, keep: bool) -> None:
        if not keep:
            self.ui.notify("The new model was discarded", "status")
            self._end_finetune(run)
            return
        registry = self.model_versions(run.label_dir)
        try:
            if registry is None:
                raise OSError("the project's version list cannot be read")
            version = registry.add(run.out_path, report, run.parent)
            registry.set_current(version.id)
        except OSError as exc:
            self.ui.notify(
                f"The new model could not be saved beside the project: {exc}. The "
                f"current model stays in use.",
                "error",
                key="finetune",
            )
            self._end_finetune(run)
            return
        self._end_finetune(run)
        self._switch_model(registry.file_of(version))
        hint = f"{self.session.mode.relabel_hint}." if self.session.mode is not None else ""
        miou = (
            f" (mIoU {100 * version.miou:.1f}% on the set-aside images)" if version.miou is not None else ""
        )
        self.ui.notify(
            f"Kept the fine-tuned model as {version.id}{miou} and switched to it. {hint}",
            "info",
            key="finetune",
        )

    def _end_finetune(self, run: FinetuneRun) -> None:
        """Remove the scratch folder (the staged data and any model not kept)."""
        if self.run is run:
            self.run = None
            self.changed.emit()
        run.scratch.cleanup()

    def shutdown(self) -> None:
        """The window is closing: stop the training (nothing is kept) and clean up."""
        run = self.run
        if run is None:
            return
        if run.staging is not None:  # its outcome is dropped; the scratch folder goes below
            run.staging.cancel()
            run.staging.wait(120)
        run.process.blockSignals(True)
        run.process.stop_and_wait()
        if run.report_dialog is not None:
            run.report_dialog.blockSignals(True)
            run.report_dialog.discard()
        run.progress.finished_running = True
        run.progress.close()
        self._end_finetune(run)


def _stage(target, root: Path, parent_ignore_index: int, job: Job) -> StagedData | None:
    """Runs on the staging thread: the staged data, or None when the user cancelled."""
    try:
        return stage_training_data(
            target, root, parent_ignore_index, progress=job.report, should_stop=job.should_stop
        )
    except StagingCancelled:
        return None

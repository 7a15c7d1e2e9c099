"""Learn-as-you-go mode as the person sees it (issue 25): the Model menu's switch and its K,
the update that starts after every K images marked done, the pre-labels it brings back, and the
kept model as a version of the project.

After every K images (or frames) the person marks done, one update runs in the background:
the open folder or video is staged (:mod:`~.staging`) and ``srcrm learn`` fine-tunes the model
in use on the done images in a low-priority child process (:mod:`~.child`), within the engine's
time budget. The engine keeps the update only if it leaves no more to fix on the newest done
images it did not train on; the app shows what it decided, in the engine's words. A kept update
becomes a version (Model > Versions) and the model in use, and the images nobody touched are
pre-labelled again, in the order the person will visit them. An image a person edited is never
overwritten: the child is told which to keep, and each pre-label is checked again here, on
arrival, against what the person did meanwhile.

The run is a foreground job of the runner's ``learn`` lane, so the status view shows its
progress and its Cancel; closing the folder or the app cancels it too (SIGTERM to the child).
Until an update is kept nothing in the project changes; its scratch folder is always removed.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..document.events import Event
from ..document.label_document import ImageState
from ..document.model_versions import ModelVersions, VersionRegistryError
from ..jobs import Job, PrelabelResult
from ..session import Command, Menu, Mode, Session
from ..settings import AppSettings
from ..ui import Ui
from .child import LearnCommand, LearnedLabel, LearnOutcome, run_learn
from .staging import LearnPlan, StagingStopped, done_count, name_of, plan, stage

#: More images or frames than this, and the mode is on unless the person switches it off.
HANDFUL = 6
EVERY_CHOICES = (2, 4, 8, 16)
LANE = "learn"


@dataclass
class LearnRun:
    """One update, from staging to the model kept or dropped."""

    job: Job
    scratch: tempfile.TemporaryDirectory
    plan: LearnPlan
    mode: Mode
    model_path: str | None  # the model in use when it started (None: the bundled default)
    parent: str  # the registry's parent: a version id, "default", or a file's path
    label_dir: Path
    applied: list[str] = field(default_factory=list)  # re-labelled here
    spared: list[str] = field(default_factory=list)  # touched by the person meanwhile: kept
    left: bool = False  # the folder or video was closed: nothing more reaches it


class LearnFlow:
    """Event: ``changed()`` when the switch, K or the running update changes."""

    def __init__(self, session: Session, ui: Ui, settings: AppSettings) -> None:
        self.session = session
        self.ui = ui
        self.settings = settings
        self.choice: bool | None = None  # the person's switch (None: by the number of images)
        self._every: int | None = settings.learn_every()
        self.budget_s: float | None = None  # None: the engine's LearnConfig
        self.run: LearnRun | None = None
        self.marked: list[str] = []  # names marked done while open, oldest first
        self.baseline = 0  # the done count the next update counts from
        self.changed = Event()
        session.mode_changed.connect(self._on_mode_changed)
        session.changed.connect(self._on_changed)
        session.model.ready.connect(lambda _info: self._check())  # K reached while it loaded

    # --- the switch ---------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Whether updates start: the person's choice, else on for more than a handful."""
        if self.choice is not None:
            return self.choice
        mode = self.session.mode
        return mode is not None and mode.count > HANDFUL

    @property
    def every(self) -> int:
        """K: images marked done between two updates (the engine's default until chosen)."""
        if self._every is None:
            from srcrm.train.learning import LearnConfig  # the engine imports torch: not at start

            self._every = LearnConfig().every
        return self._every

    def commands(self) -> list[Command | Menu]:
        return [
            Command(
                "model.learn",
                "&Learn as You Go",
                self.toggle,
                "model",
                "3_options",
                tip="After every few images you mark done, fine-tune the model on them in the "
                "background and pre-label the untouched images again, if it got better",
                enabled=lambda: self.session.mode is not None,
                checked=lambda: self.active,
            ),
            Menu("model.learn_every", "Learn After &Every", "model", "3_options", fill=self._every_commands),
        ]

    def _every_commands(self) -> list[Command]:
        choices = sorted({*EVERY_CHOICES, self.every})
        return [
            Command(
                f"model.learn_every.{k}",
                f"{k} Done Images",
                functools.partial(self.set_every, k),
                radio="learn_every",
                checked=functools.partial(lambda k: self.every == k, k),
            )
            for k in choices
        ]

    def toggle(self) -> None:
        self.set_active(not self.active)

    def set_active(self, on: bool) -> None:
        """The switch; off also stops an update in progress (an update the engine kept before
        the stop stays a version, with the images it re-labelled so far)."""
        self.choice = bool(on)
        if not on and self.run is not None:
            self.run.job.cancel()
        self.changed.emit()
        self._check()

    def set_every(self, every: int) -> None:
        self._every = max(1, int(every))
        self.settings.set_learn_every(self._every)
        self.changed.emit()
        self._check()

    # --- when an update is due ----------------------------------------------------------------

    def _target(self):
        mode = self.session.mode
        return mode.finetune_target if mode is not None else None

    def _on_mode_changed(self, _mode: Mode | None) -> None:
        """Another folder or video (or none): an update in progress stops and its results
        are dropped; counting starts again from what is done there now."""
        run = self.run
        if run is not None:
            run.left = True
            run.job.cancel()
        target = self._target()
        self.marked = []
        self.baseline = done_count(target) if target is not None else 0
        self.changed.emit()

    def _on_changed(self) -> None:
        """A state changed (maybe an image marked done): remember the order, maybe start."""
        mode, doc, target = self.session.mode, self.session.doc, self._target()
        if mode is None or doc is None or target is None or mode.index is None:
            return
        if doc.state == ImageState.DONE:
            name = name_of(target, mode.index)
            if not self.marked or self.marked[-1] != name:
                self.marked = [n for n in self.marked if n != name] + [name]
        self._check()

    def due(self) -> bool:
        target = self._target()
        if target is None:
            return False
        count = done_count(target)
        self.baseline = min(self.baseline, count)  # images marked done no longer
        return count - self.baseline >= self.every

    def _check(self) -> None:
        session = self.session
        if (
            self.active
            and self.run is None
            and not session.closed
            and session.model.info is not None
            and self.due()
        ):
            self.start()

    # --- one update ---------------------------------------------------------------------------

    def start(self) -> LearnRun | None:
        """Stage the open folder or video and start the child (see the module)."""
        session, mode, target, info = self.session, self.session.mode, self._target(), self.session.model.info
        if self.run is not None or mode is None or target is None or info is None:
            return None
        learn_plan = plan(target, self.marked, mode.index)
        self.baseline = len(learn_plan.done)
        if len(learn_plan.done) < 2:  # one to train on, one to judge: the engine's least
            return None
        try:
            registry = ModelVersions.for_label_dir(mode.label_dir)
        except VersionRegistryError as exc:  # a kept update could not be recorded
            self.ui.notify(str(exc), "error", key="versions")
            return None
        from srcrm.models.checkpoint import default_checkpoint_path

        model_path = session.model_path
        version = registry.version_of_file(model_path)
        parent = version.id if version else "default" if model_path is None else model_path
        scratch = tempfile.TemporaryDirectory(prefix="srcrm-studio-learn-")
        root = Path(scratch.name)
        command = LearnCommand(
            model_path or str(default_checkpoint_path()), root / "data", root / "out", self._budget()
        )
        ignore_index, saver = info.ignore_index, session.saver
        session.autosave()  # the newest strokes on their way to disk; staging waits for them

        def work(job: Job) -> LearnOutcome | None:
            saver.flush()
            try:
                stage(
                    learn_plan, command.data_dir, ignore_index, job.on_progress("Preparing"), job.should_stop
                )
            except StagingStopped:
                return None
            return run_learn(command, job, len(learn_plan.done), learn_plan.to_relabel)

        job = session.jobs.submit("Learning", work, lane=LANE, foreground=True)
        run = self.run = LearnRun(job, scratch, learn_plan, mode, model_path, parent, mode.label_dir)
        job.partial.connect(lambda label: self._on_label(run, label))
        job.succeeded.connect(lambda outcome: self._on_outcome(run, outcome))
        job.failed.connect(lambda message: self._on_failed(run, message))
        job.finished.connect(lambda _job: self._on_finished(run))
        self.changed.emit()
        return run

    def _budget(self) -> float:
        if self.budget_s is not None:
            return self.budget_s
        from srcrm.train.learning import LearnConfig

        return float(LearnConfig().train.budget_s or 60.0)

    def cancel(self) -> None:
        if self.run is not None:
            self.run.job.cancel()

    # --- what comes back ----------------------------------------------------------------------

    def _on_label(self, run: LearnRun, label: LearnedLabel) -> None:
        """A pre-label for an image nobody had touched when the update started: applied
        unless the person has it open or touched it since (then their work stays)."""
        session, mode = self.session, self.session.mode
        if session.closed or run.left or mode is not run.mode:
            return
        target = run.plan.targets.get(label.name)
        doc = session.doc
        if target is None:
            return
        if (
            doc is not None
            and mode.index is not None
            and name_of(mode.finetune_target, mode.index) == label.name
        ):
            return  # on screen: never changed under the person's brush
        project = session.project
        index = project.index_of(target) if project is not None else None
        if index is not None and project.entries[index].state.has_human_work:
            run.spared.append(label.name)  # edited meanwhile: not even an approval replaces it
            return
        result = PrelabelResult(target, label.labels, label.confidence, "learned as you go")
        outcome = mode.receive_prediction(result, doc, lambda _name: False)
        if outcome == "written":
            run.applied.append(label.name)
        elif outcome == "kept":
            run.spared.append(label.name)

    def _on_outcome(self, run: LearnRun, outcome: LearnOutcome | None) -> None:
        if self.session.closed or run.left:
            return
        if outcome is None or outcome.summary is None:
            self.ui.notify("Learning cancelled; the model in use is unchanged", "status")
            return
        summary = outcome.summary
        if outcome.model is None:
            if outcome.cancelled:
                self.ui.notify("Learning cancelled; the model in use is unchanged", "status")
            else:  # the engine's one line: why it kept the model in use
                self.ui.notify(
                    f"Learning: {summary.get('reason', 'the update was dropped')}", "info", key="learn"
                )
            return
        if self.session.model_path != run.model_path:
            self.ui.notify(
                "Learning: the update was dropped because you changed the model while it learned",
                "info",
                key="learn",
            )
            return
        try:
            registry = ModelVersions.for_label_dir(run.label_dir)
            version = registry.add(outcome.model, _version_report(summary, run.plan), run.parent)
            registry.set_current(version.id)
        except (OSError, VersionRegistryError) as exc:
            self.ui.notify(
                f"Learning: the new model could not be kept beside the project ({exc}); the model "
                f"in use is unchanged.",
                "error",
                key="learn",
            )
            return
        self.session.load_model(str(registry.file_of(version)))
        text = f"{_message(summary, run.applied)} · now using {version.id}"
        if run.spared:
            n, noun = len(run.spared), run.mode.noun
            text += f"; {n} {noun if n == 1 else noun + 's'} you edited meanwhile kept as you left them"
        if outcome.cancelled:
            text += "; re-labelling stopped when you cancelled"
        self.ui.notify(text[:1].upper() + text[1:], "info", key="learn")

    def _on_failed(self, run: LearnRun, message: str) -> None:
        if self.session.closed or run.left:
            return
        self.ui.notify(
            f"Learning stopped: {message}. The model in use and your labels are unchanged.",
            "warning",
            key="learn",
        )

    def _on_finished(self, run: LearnRun) -> None:
        run.scratch.cleanup()
        if self.run is run:
            self.run = None
            self.changed.emit()
            if not self.session.closed:
                self._check()  # K more marked done meanwhile

    def shutdown(self) -> None:
        """The app closed (the runner has stopped the child): remove the scratch folder."""
        run, self.run = self.run, None
        if run is not None:
            run.job.cancel()
            run.job.wait(30)
            run.scratch.cleanup()


def _message(summary: dict, applied: list[str]) -> str:
    """The engine's words (:meth:`srcrm.train.learning.LearnSummary.message`), counting the images
    re-labelled here (the child pre-labels after its summary)."""
    from srcrm.train.learning import LearnSummary

    known = {f.name for f in fields(LearnSummary)}
    try:
        learned = LearnSummary(**{k: v for k, v in summary.items() if k in known})
    except TypeError:
        return str(summary.get("message", "learned from your done images"))
    learned.relabelled = list(applied)
    return learned.message()


def _version_report(summary: dict, learn_plan: LearnPlan) -> dict:
    """What Model > Versions records of a kept update."""

    def effort(which: str) -> dict:
        return {
            "wrong_pixels": summary.get(f"error_{which}", 0.0),
            "regions_to_fix": summary.get(f"regions_{which}", 0),
        }

    return {
        "train_names": summary.get("trained_on", []),
        "holdout_names": summary.get("held_out", []),
        "before": effort("before"),
        "after": effort("after"),
        "steps": summary.get("steps", 0),
        "class_names": learn_plan.classes.names,
    }

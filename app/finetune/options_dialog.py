"""The options asked before fine-tuning: the time budget, the most steps, learning rate, crop size,
frozen backbone; with how many images train and how many are set aside to measure the result."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from PySide6 import QtWidgets

# The default run: a time budget (the learning rate decays to zero as it runs out), with the
# steps only a cap for a fast machine. Loading, scoring the set-aside images before and after,
# and saving add 10 to 40 s on 2 CPU cores (measured in docs/finetune_default.md).
DEFAULT_BUDGET_S = 120.0
DEFAULT_STEPS = 200


def default_config(device: str):
    """What the Fine-tune dialog offers first: a :class:`srcrm.train.finetune.FinetuneConfig`."""
    from srcrm.train.finetune import FinetuneConfig

    return FinetuneConfig(steps=DEFAULT_STEPS, budget_s=DEFAULT_BUDGET_S, device=device)


def default_crop(device: str) -> int:
    """512-pixel crops on a GPU, 256 on the CPU (4x fewer pixels per step: minutes, not hours)."""
    import torch

    return 512 if device != "cpu" and torch.cuda.is_available() else 256


class FinetuneOptionsDialog(QtWidgets.QDialog):
    """``config()`` after ``exec()``: the defaults (a ``FinetuneConfig``) with the user's
    choices; ``names`` are the qualifying images, for the train / set-aside counts, of which
    those in ``train_only`` are never set aside (a video's propagated frames)."""

    def __init__(
        self,
        defaults,
        names: list[str],
        parent: QtWidgets.QWidget | None = None,
        train_only: Collection[str] = (),
    ):
        super().__init__(parent)
        from srcrm.train.finetune import split_holdout

        self.setWindowTitle("Fine-tune the Model")
        self.defaults = defaults
        on_gpu = default_crop(defaults.device) == 512
        train, holdout = split_holdout(names, defaults.holdout_fraction, defaults.seed, train_only)
        layout = QtWidgets.QVBoxLayout(self)
        self.intro = intro = QtWidgets.QLabel(
            f"Teach the current model from the {len(names)} images you edited or marked done: "
            f"<b>{len(train)}</b> to train on, <b>{len(holdout)}</b> set aside to measure it "
            f"before and after. It trains on the {'GPU' if on_gpu else 'CPU'} in a separate "
            f"process; you can keep labelling meanwhile."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QtWidgets.QFormLayout()
        minutes = (defaults.budget_s or 0) / 60
        self.budget = QtWidgets.QDoubleSpinBox(
            decimals=1, minimum=0.0, maximum=24 * 60.0, singleStep=0.5, value=minutes, suffix=" min"
        )
        self.budget.setSpecialValueText("no limit (all the steps)")
        self.budget.setToolTip(
            "How long to train: the training stops when the time is up, or at the steps below "
            "if they come first. Measuring the model before and after takes a little longer."
        )
        self.steps = QtWidgets.QSpinBox(minimum=1, maximum=100000, singleStep=50, value=defaults.steps)
        self.steps.setToolTip("The most training steps: more learns more, and takes longer")
        self.lr = QtWidgets.QDoubleSpinBox(
            decimals=5, minimum=0.00001, maximum=1.0, singleStep=0.001, value=defaults.lr
        )
        self.lr.setToolTip("Learning rate: lower changes the model more gently")
        crop = defaults.crop[0] if defaults.crop else default_crop(defaults.device)
        self.crop = QtWidgets.QSpinBox(minimum=32, maximum=2048, singleStep=32, value=crop, suffix=" px")
        self.crop.setToolTip("Square training crops: smaller is faster and needs less memory")
        self.freeze = QtWidgets.QCheckBox("Train only the decoder (freeze the backbone)")
        self.freeze.setChecked(defaults.freeze_backbone)
        self.freeze.setToolTip("Faster and safer with very few images")
        form.addRow("Time budget:", self.budget)
        form.addRow("Steps, at most:", self.steps)
        form.addRow("Learning rate:", self.lr)
        form.addRow("Crop size:", self.crop)
        form.addRow("", self.freeze)
        layout.addLayout(form)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        start = buttons.addButton("Start Fine-tuning", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        start.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def config(self):
        side = self.crop.value()
        minutes = self.budget.value()
        return replace(
            self.defaults,
            budget_s=60 * minutes if minutes > 0 else None,
            steps=self.steps.value(),
            lr=self.lr.value(),
            crop=(side, side),
            freeze_backbone=self.freeze.isChecked(),
        )

"""The options asked before fine-tuning: steps, learning rate, crop size, frozen backbone; with
how many images train and how many are set aside to measure the result."""

from __future__ import annotations

from dataclasses import replace

from PySide6 import QtWidgets


def default_crop(device: str) -> int:
    """512-pixel crops on a GPU, 256 on the CPU (4x fewer pixels per step: minutes, not hours)."""
    import torch

    return 512 if device != "cpu" and torch.cuda.is_available() else 256


class FinetuneOptionsDialog(QtWidgets.QDialog):
    """``config()`` after ``exec()``: the defaults (a ``FinetuneConfig``) with the user's
    choices; ``names`` are the qualifying images, for the train / set-aside counts."""

    def __init__(self, defaults, names: list[str], parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        from srcrm.finetune import split_holdout

        self.setWindowTitle("Fine-tune the Model")
        self.defaults = defaults
        on_gpu = default_crop(defaults.device) == 512
        train, holdout = split_holdout(names, defaults.holdout_fraction, defaults.seed)
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
        self.steps = QtWidgets.QSpinBox(minimum=1, maximum=100000, singleStep=50, value=defaults.steps)
        self.steps.setToolTip("Training steps: more learns more, and takes longer")
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
        form.addRow("Steps:", self.steps)
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
        return replace(
            self.defaults,
            steps=self.steps.value(),
            lr=self.lr.value(),
            crop=(side, side),
            freeze_backbone=self.freeze.isChecked(),
        )

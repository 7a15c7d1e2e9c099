"""A training run leaves the caller's config as given, resumes only a state its own settings
wrote (or one saved before settings were stored), and can be told to start fresh."""

from dataclasses import replace

import pytest
import torch

from srcrm.data.augment import AugmentConfig
from srcrm.models.config import ModelConfig
from srcrm.models.network import _V1_PREFIXES
from srcrm.train import TrainConfig, Trainer
from srcrm.train.trainer import ResumeMismatch


@pytest.fixture
def small(tiny_dataset, tmp_path) -> TrainConfig:
    return TrainConfig(
        data=str(tiny_dataset),
        out_dir=str(tmp_path / "run"),
        val_split=None,
        steps=2,
        batch_size=2,
        augment=AugmentConfig(crop=(48, 48)),
        warmup_steps=1,
        model=ModelConfig(decoder_channels=16),
        checkpoint_every=0,
    )


def _steps(cfg: TrainConfig) -> list[int]:
    steps = []
    Trainer(cfg, on_event=lambda e: e.kind == "step" and steps.append(e.step)).fit()
    return steps


def test_a_run_with_other_settings_is_refused_and_fresh_starts_over(small):
    given = replace(small)
    _steps(small)
    assert small == given and small.model.num_classes == 11  # the caller's config: the data has 2
    with pytest.raises(ResumeMismatch, match=r"other settings \(lr\).*--fresh"):
        _steps(replace(small, lr=0.5))
    assert _steps(replace(small, lr=0.5, resume=False)) == [1, 2]
    assert _steps(replace(small, lr=0.5, steps=3)) == [3]  # its own state, extended by a step


def test_a_state_saved_before_settings_were_stored_still_resumes(small):
    _steps(small)
    path = small.out_dir + "/last_state.pt"
    state = torch.load(path, weights_only=True)
    del state["settings"]
    old_names = {new: old for old, new in _V1_PREFIXES.items()}
    state["model"] = {
        next((old_names[p] + k[len(p) :] for p in old_names if k.startswith(p)), k): v
        for k, v in state["model"].items()
    }
    assert "backbone.stem.0.weight" in state["model"]
    torch.save(state, path)
    assert _steps(replace(small, lr=0.5, steps=3)) == [3]

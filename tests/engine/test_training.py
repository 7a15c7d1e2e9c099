"""Training really learns: a few CPU steps on real CamVid lower the loss; a run resumes; a
2-process DDP run keeps the ranks' weights identical."""

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from srcrm.data.augment import AugmentConfig, augment
from srcrm.data.datasets import open_dataset
from srcrm.models.config import ModelConfig
from srcrm.train import TrainConfig, Trainer
from srcrm.train.losses import segmentation_loss
from srcrm.train.trainer import Cancelled


def test_cpu_steps_on_real_camvid_lower_the_loss(camvid_root, tmp_path):
    train = open_dataset(camvid_root, "train")
    train.samples = train.samples[::90]  # 5 images across the three sequences
    whole = AugmentConfig(crop=(180, 240), scale=(0.5, 0.5), flip=False, jitter=0.0)
    cfg = TrainConfig(
        data=str(camvid_root),
        out_dir=str(tmp_path),
        val_split=None,
        steps=15,
        batch_size=5,
        lr=0.02,
        warmup_steps=1,
        augment=whole,
        model=ModelConfig(decoder_channels=32),
        checkpoint_every=0,
    )
    trainer = Trainer(cfg, train_data=train)
    images = torch.stack([torch.from_numpy(train[i][0]).permute(2, 0, 1) for i in range(5)])
    labels = torch.stack([torch.from_numpy(train[i][1]) for i in range(5)])
    x, y = augment(images, labels, whole, ignore_index=11)

    def loss_on_the_images() -> float:
        with torch.no_grad():
            return segmentation_loss(*trainer.model(x, return_aux=True), y, trainer.cfg.loss).item()

    before = loss_on_the_images()
    trainer.fit()
    after = loss_on_the_images()
    assert after < 0.7 * before, (before, after)
    assert (tmp_path / "model.pt").is_file()


def test_training_resumes_and_cancel_keeps_the_saved_state(tiny_dataset, tmp_path):
    small = dict(
        data=str(tiny_dataset),
        out_dir=str(tmp_path / "run"),
        val_split=None,
        batch_size=2,
        augment=AugmentConfig(crop=(48, 48)),
        warmup_steps=1,
        model=ModelConfig(decoder_channels=16),
        checkpoint_every=2,
    )
    Trainer(TrainConfig(steps=4, **small)).fit()
    state = (tmp_path / "run" / "last_state.pt").read_bytes()
    stop = Trainer(TrainConfig(steps=8, **small))
    with pytest.raises(Cancelled):
        stop.fit(should_stop=lambda: stop.step >= 5)
    resumed = Trainer(TrainConfig(steps=8, **small))
    steps = []
    resumed.on_event = lambda e: e.kind == "step" and steps.append(e.step)
    resumed.fit()
    assert steps[0] == 5 and steps[-1] == 8  # picked up from the step-4 save
    assert state != (tmp_path / "run" / "last_state.pt").read_bytes()


def test_eval_every_without_a_validation_split_trains_without_evaluating(tiny_dataset, tmp_path):
    """--eval-every with no validation data has nothing to evaluate: it used to crash at the
    first evaluation step (evaluate() was handed None)."""
    cfg = TrainConfig(
        data=str(tiny_dataset),
        out_dir=str(tmp_path / "run"),
        val_split=None,
        steps=2,
        eval_every=1,
        batch_size=2,
        augment=AugmentConfig(crop=(48, 48)),
        warmup_steps=1,
        model=ModelConfig(decoder_channels=16),
        checkpoint_every=0,
    )
    trainer = Trainer(cfg)
    assert trainer.fit() == {} and trainer.history["eval"] == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, data: str, out: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
    )
    torch.set_num_threads(1)
    cfg = TrainConfig(
        data=data,
        out_dir=out,
        val_split=None,
        steps=3,
        batch_size=2,
        workers=0,
        device="cpu",
        augment=AugmentConfig(crop=(48, 48)),
        seed=rank,
        model=ModelConfig(decoder_channels=16),
        checkpoint_every=0,
    )
    trainer = Trainer(cfg)
    trainer.fit()
    torch.save(trainer.net.state_dict(), os.path.join(out, f"rank{rank}.pt"))
    torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_two_process_ddp_keeps_ranks_identical(tiny_dataset, tmp_path):
    out = str(tmp_path / "ddp")
    os.makedirs(out)
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(tiny_dataset), out), nprocs=2, join=True)
    a = torch.load(os.path.join(out, "rank0.pt"), weights_only=True)
    b = torch.load(os.path.join(out, "rank1.pt"), weights_only=True)
    init = Trainer(
        TrainConfig(
            data=str(tiny_dataset),
            out_dir=str(tmp_path / "x"),
            val_split=None,
            model=ModelConfig(decoder_channels=16),
            device="cpu",
        )
    ).net.state_dict()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, differ[:5]
    assert not torch.equal(a["head.2.weight"], init["head.2.weight"])  # it did train


def test_only_small_datasets_are_kept_resident(tiny_dataset, tmp_path, monkeypatch):
    resident = []
    monkeypatch.setattr(
        Trainer, "_resident_batches", lambda self, pairs: resident.append(len(pairs)) or iter(())
    )
    common = dict(
        data=str(tiny_dataset),
        out_dir=str(tmp_path),
        val_split=None,
        workers=0,
        model=ModelConfig(decoder_channels=16),
    )
    next(Trainer(TrainConfig(**common))._batches(), None)
    assert resident == [4]
    big = Trainer(TrainConfig(resident_max_gib=1e-6, **common))  # a "dataset" over budget
    x, _ = next(big._batches())
    assert resident == [4] and x.shape[0] == big.cfg.batch_size

"""Checkpoints: one file with the model's config, classes, palette, ignore index, weights, and
what it was trained on and scored.

Files are loaded with ``torch.load(weights_only=True)``, which refuses arbitrary pickled
objects, so a hostile file cannot run code; it gets a :class:`CheckpointError` like any other
bad file. Only plain containers, numbers, strings and tensors are stored.

The bundled default model is described by a manifest (``resources/models/default.json``)
holding its SHA-256 and the parts it is split into (each under the GPU tool's 16 MiB limit).
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from srcrm.config import ModelConfig
from srcrm.io import atomic_write, atomic_write_text
from srcrm.models.network import upgrade_state_dict
from srcrm.package_data import resource_dir

FORMAT = "srcrm-checkpoint"
VERSION = 2  # 1: the network before its encoder/decoder/head split; still loaded
DEFAULT_MANIFEST = resource_dir() / "models" / "default.json"
PART_BYTES = 15 * 1024 * 1024


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, hostile, or does not fit the model asked for."""


@dataclass
class Checkpoint:
    config: ModelConfig
    state_dict: dict[str, torch.Tensor]
    class_names: list[str]
    palette: list[tuple[int, int, int]]
    ignore_index: int
    meta: dict = field(default_factory=dict)

    def build_model(self) -> nn.Module:
        """The network with these weights, in eval mode."""
        from srcrm.models import build_model

        model = build_model(self.config)
        try:
            model.load_state_dict(self.state_dict)
        except RuntimeError as exc:
            raise CheckpointError(
                f"checkpoint weights do not fit a {self.config.name} model: {str(exc)[:300]}"
            ) from exc
        return model.eval()


def save_checkpoint(
    path,
    model: nn.Module,
    *,
    class_names,
    palette,
    ignore_index: int,
    meta: dict | None = None,
    half: bool = False,
) -> Path:
    """Write a checkpoint atomically. ``half`` stores floating weights as fp16 (half the size)."""
    model = getattr(model, "module", model)  # unwrap DDP
    cfg: ModelConfig = model.cfg
    if len(class_names) != cfg.num_classes or len(palette) != cfg.num_classes:
        raise ValueError(
            f"{cfg.num_classes} classes in the model but {len(class_names)} names and {len(palette)} colours"
        )
    state = {
        k: (v.detach().cpu().half() if half and v.is_floating_point() else v.detach().cpu())
        for k, v in model.state_dict().items()
    }
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": cfg.to_dict(),
        "class_names": [str(n) for n in class_names],
        "palette": [[int(c) for c in rgb] for rgb in palette],
        "ignore_index": int(ignore_index),
        "meta": json.loads(json.dumps(meta or {})),  # plain JSON types only
        "state_dict": state,
    }
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        torch.save(payload, fh)
    return path


def load_checkpoint(path=None, expected_config: ModelConfig | None = None) -> Checkpoint:
    """Load and validate a checkpoint: a ``.pt`` file, a model manifest (``.json``), or with
    ``None`` the bundled default model. ``expected_config`` rejects a different architecture."""
    path = Path(path) if path is not None else DEFAULT_MANIFEST
    if path.suffix == ".json":
        data = _read_manifest_parts(path)
    elif path.is_file():
        data = path.read_bytes()
    elif path.is_symlink():
        raise CheckpointError(f"{path}: a symbolic link that leads nowhere (broken, or a loop)")
    else:
        raise CheckpointError(f"{path}: no such checkpoint file")
    return _parse(data, str(path), expected_config)


def _parse(data: bytes, name: str, expected_config: ModelConfig | None) -> Checkpoint:
    if not data.startswith(b"PK"):  # torch.save writes a zip archive
        raise CheckpointError(
            f"{name}: not a readable checkpoint (corrupt, truncated, or not a PyTorch file)"
        )
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{name}: refused: the file contains code or objects a checkpoint must not have"
        ) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckpointError(f"{name}: not a readable checkpoint (corrupt or truncated): {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{name}: not an SRCRM checkpoint (maybe another model's weights)")
    if payload.get("version") not in (1, VERSION):
        raise CheckpointError(f"{name}: checkpoint version {payload.get('version')} is not supported")
    try:
        cfg = ModelConfig.from_dict(payload["config"])
        ckpt = Checkpoint(
            config=cfg,
            state_dict=upgrade_state_dict(payload["state_dict"]),
            class_names=list(payload["class_names"]),
            palette=[tuple(int(c) for c in rgb) for rgb in payload["palette"]],
            ignore_index=int(payload["ignore_index"]),
            meta=dict(payload.get("meta") or {}),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{name}: checkpoint is missing or has malformed fields: {exc}") from exc
    if len(ckpt.class_names) != cfg.num_classes or len(ckpt.palette) != cfg.num_classes:
        raise CheckpointError(f"{name}: {cfg.num_classes} classes but {len(ckpt.class_names)} names")
    if expected_config is not None and expected_config != cfg:
        raise CheckpointError(
            f"{name}: checkpoint is a {cfg.name} with {cfg.num_classes} classes, "
            f"expected a {expected_config.name} with {expected_config.num_classes}"
        )
    return ckpt


# --- the bundled default model -------------------------------------------------------------


def default_checkpoint_path() -> Path:
    """The manifest of the bundled default model; :func:`load_checkpoint` takes it."""
    return DEFAULT_MANIFEST


def save_manifest(checkpoint_file, manifest_path, description: str) -> Path:
    """Split a checkpoint into parts beside ``manifest_path`` and write the manifest with its hash."""
    data = Path(checkpoint_file).read_bytes()
    manifest_path = Path(manifest_path)
    stem = manifest_path.stem
    parts = []
    for i in range(0, len(data), PART_BYTES):
        part = f"{stem}.pt.part{i // PART_BYTES}"
        with atomic_write(manifest_path.parent / part) as fh:
            fh.write(data[i : i + PART_BYTES])
        parts.append(part)
    manifest = {
        "description": description,
        "parts": parts,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return manifest_path


def _read_manifest_parts(manifest_path: Path) -> bytes:
    """The checkpoint bytes a manifest describes, after checking their SHA-256."""
    if not manifest_path.is_file():
        raise CheckpointError(f"{manifest_path}: no such model manifest")
    try:
        manifest = json.loads(manifest_path.read_text())
        parts = [manifest_path.parent / p for p in manifest["parts"]]
        expected = manifest["sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{manifest_path}: malformed model manifest: {exc}") from exc
    missing = [p.name for p in parts if not p.is_file()]
    if missing:
        raise CheckpointError(f"{manifest_path}: model parts missing: {missing}")
    data = b"".join(p.read_bytes() for p in parts)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise CheckpointError(
            f"{manifest_path}: the model file is damaged (SHA-256 {actual[:12]}… "
            f"but the manifest says {expected[:12]}…)"
        )
    return data

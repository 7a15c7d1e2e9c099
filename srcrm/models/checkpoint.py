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
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType

import torch
from torch import nn

from srcrm.base.io import atomic_write_bytes, atomic_write_text
from srcrm.base.jsonio import JsonError, load_json
from srcrm.base.package_data import resource_dir
from srcrm.models.config import ModelConfig
from srcrm.models.network import SRCRMNet, upgrade_state_dict

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

    def build_model(self) -> SRCRMNet:
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


def checkpoint_bytes(
    model: nn.Module,
    *,
    class_names,
    palette,
    ignore_index: int,
    meta: dict | None = None,
    half: bool = False,
) -> bytes:
    """The checkpoint file's contents, serialised in memory: writing them is then a plain file
    write, whose failure (a full disk) is an OSError that names the file and can be retried,
    where ``torch.save`` into a file raises a RuntimeError half-way. ``half`` stores floating
    weights as fp16 (half the size)."""
    model = getattr(model, "module", model)  # unwrap DDP
    cfg = getattr(model, "cfg", None)
    if not isinstance(cfg, ModelConfig):
        raise TypeError(f"a {type(model).__name__} is not an SRCRM network: it has no ModelConfig")
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
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def save_checkpoint(path, model: nn.Module, **fields) -> Path:
    """Write a checkpoint atomically; ``fields`` as :func:`checkpoint_bytes` takes them."""
    path = Path(path)
    atomic_write_bytes(path, checkpoint_bytes(model, **fields))
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
    if not isinstance(payload, dict) or not _is(payload.get("format"), str) or payload["format"] != FORMAT:
        raise CheckpointError(f"{name}: not an SRCRM checkpoint (maybe another model's weights)")
    version = payload.get("version")
    if not _is(version, int) or version not in (1, VERSION):
        raise CheckpointError(f"{name}: checkpoint version {version!r} is not supported")
    try:
        cfg = ModelConfig.from_dict(_checked(payload, "config", dict))
        ckpt = Checkpoint(
            config=cfg,
            state_dict=upgrade_state_dict(_tensors(_checked(payload, "state_dict", dict))),
            class_names=_class_names(_checked(payload, "class_names", list)),
            palette=_palette(_checked(payload, "palette", list)),
            ignore_index=_label_id(payload.get("ignore_index"), "ignore_index"),
            meta=_checked(payload, "meta", dict, optional=True) or {},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(
            f"{name}: checkpoint is missing or has malformed fields: {str(exc)[:300]}"
        ) from exc
    if len(ckpt.class_names) != cfg.num_classes or len(ckpt.palette) != cfg.num_classes:
        raise CheckpointError(f"{name}: {cfg.num_classes} classes but {len(ckpt.class_names)} names")
    if expected_config is not None and expected_config != cfg:
        raise CheckpointError(
            f"{name}: checkpoint is a {cfg.name} with {cfg.num_classes} classes, "
            f"expected a {expected_config.name} with {expected_config.num_classes}"
        )
    return ckpt


def _is(value, kind: type | UnionType) -> bool:
    """``isinstance`` that does not take a bool for an int (True is an int in Python)."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _checked(payload: dict, key: str, kind: type, optional: bool = False):
    value = payload.get(key) if optional else payload[key]
    if not (_is(value, kind) or (optional and value is None)):
        raise TypeError(f"{key} is a {type(value).__name__}, not a {kind.__name__}")
    return value


def _tensors(state: dict) -> dict[str, torch.Tensor]:
    bad = next((k for k, v in state.items() if not (_is(k, str) and _is(v, torch.Tensor))), None)
    if bad is not None:
        raise TypeError(f"state_dict entry {bad!r} is not a named tensor")
    return state


def _class_names(names: list) -> list[str]:
    if not all(_is(n, str) for n in names):
        raise TypeError("class_names must all be text")
    return list(names)


def _label_id(value, what: str) -> int:
    """A value a label map can hold: a whole number from 0 to 255."""
    if not _is(value, int) or not 0 <= value <= 255:
        raise ValueError(f"{what} is {value!r}; it must be a whole number from 0 to 255")
    return value


def _palette(palette: list) -> list[tuple[int, int, int]]:
    """RGB colours, three whole numbers from 0 to 255 each."""
    for rgb in palette:
        if not (_is(rgb, list | tuple) and len(rgb) == 3 and all(_is(c, int) and 0 <= c <= 255 for c in rgb)):
            raise ValueError(f"palette entry {rgb!r} is not an RGB colour (three whole numbers, 0 to 255)")
    return [tuple(rgb) for rgb in palette]


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
        atomic_write_bytes(manifest_path.parent / part, data[i : i + PART_BYTES])
        parts.append(part)
    manifest = {
        "description": description,
        "parts": parts,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return manifest_path


MANIFEST_MAX_BYTES = 1 << 20  # a manifest lists a few parts; anything larger is not one
MODEL_MAX_BYTES = 1 << 32  # 4 GiB: the largest model a manifest may describe
_PART_NAME = re.compile(r"\w[\w.+-]{0,254}")  # a plain name in the manifest's folder: no path, no NUL


def _manifest(manifest_path: Path) -> tuple[list[Path], int, str]:
    """The parts (plain file names beside the manifest), total size and SHA-256 a manifest
    lists; :class:`CheckpointError` for anything else, including a hostile file (nested
    100,000 deep, parts elsewhere on the disk, a size of petabytes)."""
    if not manifest_path.is_file():
        raise CheckpointError(f"{manifest_path}: no such model manifest")
    try:
        manifest = load_json(manifest_path, max_bytes=MANIFEST_MAX_BYTES)
        names, size, sha256 = (
            _checked(manifest, k, t) for k, t in (("parts", list), ("bytes", int), ("sha256", str))
        )
    except JsonError as exc:
        raise CheckpointError(f"{manifest_path}: malformed model manifest: {exc.reason}") from None
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"{manifest_path}: malformed model manifest: {exc}") from None
    if not 0 < size <= MODEL_MAX_BYTES or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise CheckpointError(f"{manifest_path}: malformed model manifest: bytes {size!r}, sha256 {sha256!r}")
    if not 0 < len(names) <= MODEL_MAX_BYTES // PART_BYTES + 1 or not all(
        _is(n, str) and _PART_NAME.fullmatch(n) for n in names
    ):
        raise CheckpointError(
            f"{manifest_path}: malformed model manifest: parts must be file names beside it"
        )
    return [manifest_path.parent / n for n in names], size, sha256


def _read_manifest_parts(manifest_path: Path) -> bytes:
    """The checkpoint bytes a manifest describes, after checking their size and SHA-256."""
    parts, size, expected = _manifest(manifest_path)
    missing = [p.name for p in parts if not p.is_file()]
    if missing:
        raise CheckpointError(f"{manifest_path}: model parts missing: {missing}")
    found = sum(p.stat().st_size for p in parts)
    if found != size:
        raise CheckpointError(
            f"{manifest_path}: the model file is damaged ({found:,} bytes in its parts, "
            f"the manifest says {size:,})"
        )
    data = b"".join(p.read_bytes() for p in parts)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise CheckpointError(
            f"{manifest_path}: the model file is damaged (SHA-256 {actual[:12]}… "
            f"but the manifest says {expected[:12]}…)"
        )
    return data


def checkpoint_files(path) -> list[Path]:
    """The files loading ``path`` reads: the file, and a manifest's parts (for the rule that
    no output may overwrite an input, :mod:`srcrm.base.outputs`). A manifest that cannot be read
    adds no parts; loading it says why."""
    path = Path(path) if path is not None else DEFAULT_MANIFEST
    if path.suffix != ".json":
        return [path]
    try:
        return [path, *_manifest(path)[0]]
    except CheckpointError:
        return [path]

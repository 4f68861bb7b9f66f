"""Bundles on disk: a folder with model_index.json and one sub-folder per component.

Weights load through an explicit key map with shape checks and `strict=True`; safetensors first,
pickled files only through `torch.load(weights_only=True)`.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from .config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig, \
    from_dict, to_dict
from .errors import UserError
from .model import UnCLIP, Upsampler
from .nn.conditioning import DecoderConditioning
from .nn.transformer import PriorTransformer
from .nn.unet import UNet
from .stages.embed import ClipEncoder, build_clip

FORMAT = "unclip-studio/1"
RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "models"
KeyMap = Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]


class BundleError(UserError):
    """A model folder that is missing, incomplete or does not match its config."""


def default_bundle_path() -> Path:
    """Where the embedded default bundle lives."""
    return RESOURCES / "default"


def resolve(spec: str) -> tuple[Path, str]:
    """A --model value ('default' or a folder) → (folder, model id)."""
    if spec == "default":
        path = default_bundle_path()
        if not (path / "model_index.json").is_file():
            raise BundleError(f"the embedded default model is not installed ({path}); pass --model FOLDER")
        return path, "default"
    path = Path(spec).expanduser()
    if not path.exists():
        raise BundleError(f"model folder not found: {spec}")
    if not (path / "model_index.json").is_file():
        raise BundleError(f"not a model folder (no model_index.json): {spec}")
    return path, str(path.resolve())


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """Tensors from safetensors, or from a pickle through torch.load(weights_only=True) only."""
    if path.suffix == ".safetensors":
        return load_file(str(path))
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a crafted or damaged pickle must never run code: refuse it
        raise BundleError(f"{path.name}: refused to load ({type(err).__name__}); only plain tensors are allowed")
    return data.get("state_dict", data) if isinstance(data, dict) else data


def load_into(module: nn.Module, weights: dict[str, torch.Tensor], where: str,
              key_map: KeyMap | None = None) -> None:
    """Load mapped weights with explicit missing/unexpected/shape checks, then strict=True."""
    mapped = key_map(weights) if key_map else weights
    expected = module.state_dict()
    missing = sorted(set(expected) - set(mapped))
    unexpected = sorted(set(mapped) - set(expected))
    if missing or unexpected:
        raise BundleError(f"{where}: {len(missing)} missing keys {missing[:3]}, "
                          f"{len(unexpected)} unexpected keys {unexpected[:3]}")
    bad = [k for k, v in mapped.items() if v.shape != expected[k].shape]
    if bad:
        k = bad[0]
        raise BundleError(f"{where}: {len(bad)} shape mismatches, e.g. {k}: file {tuple(mapped[k].shape)} "
                          f"vs model {tuple(expected[k].shape)}")
    module.load_state_dict(mapped, strict=True)


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise BundleError(f"model folder incomplete: {path.parent.name}/{path.name} is missing")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BundleError(f"{path.parent.name}/{path.name} is not valid JSON: {err}")


def _component(folder: Path, name: str, cls):
    """A component's config from `name/config.json`."""
    try:
        return from_dict(cls, _read_json(folder / name / "config.json"))
    except (TypeError, ValueError) as err:
        if isinstance(err, BundleError):
            raise
        raise BundleError(f"{name}/config.json: {err}")


def _weights(folder: Path, name: str, stem: str = "model") -> dict[str, torch.Tensor]:
    for suffix in (".safetensors", ".bin", ".ckpt", ".pt"):
        path = folder / name / f"{stem}{suffix}"
        if path.is_file():
            return read_weights(path)
    raise BundleError(f"model folder incomplete: no weights for {name}/{stem} (expected {stem}.safetensors)")


def fingerprint(folder: Path) -> str:
    """A short content hash of a bundle: configs in full, weights in full up to 64 MiB, else size + ends."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode())
        size = path.stat().st_size
        h.update(str(size).encode())
        with path.open("rb") as f:
            if size <= 64 << 20:
                h.update(f.read())
            else:
                h.update(f.read(1 << 20))
                f.seek(-(1 << 20), 2)
                h.update(f.read())
    return h.hexdigest()[:12]


def load_bundle(spec: str, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> UnCLIP:
    """Load a bundle folder ('default' = the embedded one) onto a device."""
    folder, model_id = resolve(spec)
    index = _read_json(folder / "model_index.json")
    if index.get("format") != FORMAT:
        raise BundleError(f"{spec}: unknown bundle format {index.get('format', index.get('_class_name'))!r}")
    ups = index.get("upsamplers", [])
    config = BundleConfig(
        name=index.get("name", folder.name),
        clip=_component(folder, "clip", ClipConfig),
        prior=_component(folder, "prior", PriorStageConfig),
        decoder=_component(folder, "decoder", DecoderStageConfig),
        upsamplers=tuple(_component(folder, u, UpsamplerStageConfig) for u in ups),
    )
    clip = build_clip(config.clip)
    load_into(clip, _weights(folder, "clip"), "clip")
    prior = PriorTransformer(config.prior.network)
    load_into(prior, _weights(folder, "prior"), "prior")
    decoder, conditioning = UNet(config.decoder.network), DecoderConditioning(config.decoder.conditioning)
    load_into(decoder, _weights(folder, "decoder"), "decoder")
    load_into(conditioning, _weights(folder, "decoder", "conditioning"), "decoder/conditioning")
    upsamplers = []
    for name, cfg in zip(ups, config.upsamplers):
        first = UNet(cfg.network)
        load_into(first, _weights(folder, name, "first"), f"{name}/first")
        last = None
        if cfg.last_step_model:
            last = UNet(cfg.network)
            load_into(last, _weights(folder, name, "last"), f"{name}/last")
        upsamplers.append(Upsampler(first, last))
    model = UnCLIP(config, ClipEncoder(clip, config.clip), prior, decoder, conditioning, upsamplers,
                   model_id=model_id, fingerprint=fingerprint(folder))
    return model.eval().to(device, dtype)


def _save(module: nn.Module, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}, str(path))


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def save_bundle(model: UnCLIP, folder: str | Path) -> Path:
    """Write a bundle folder that `load_bundle` reads back exactly."""
    folder, c = Path(folder), model.config
    ups = [f"upsampler_{u.size}" for u in c.upsamplers]
    _write_json(folder / "model_index.json", {"format": FORMAT, "name": c.name, "upsamplers": ups})
    for name, cfg in (("clip", c.clip), ("prior", c.prior), ("decoder", c.decoder)):
        _write_json(folder / name / "config.json", to_dict(cfg))
    _save(model.clip.model, folder / "clip" / "model.safetensors")
    _save(model.prior, folder / "prior" / "model.safetensors")
    _save(model.decoder, folder / "decoder" / "model.safetensors")
    _save(model.conditioning, folder / "decoder" / "conditioning.safetensors")
    for name, cfg, up in zip(ups, c.upsamplers, model.upsamplers):
        _write_json(folder / name / "config.json", to_dict(cfg))
        _save(up.first, folder / name / "first.safetensors")
        if up.last is not None:
            _save(up.last, folder / name / "last.safetensors")
    return folder

"""Bundles on disk: a folder with model_index.json and one sub-folder per component.

Two layouts, one loader: the studio's own (format "unclip-studio/1") and diffusers' Karlo layout
(UnCLIPPipeline / UnCLIPImageVariationPipeline), found by folder or in the local Hugging Face cache.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from .config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig, \
    from_dict, to_dict
from .model import UnCLIP, Upsampler, clip_dtype
from .nn.conditioning import DecoderConditioning
from .nn.transformer import PriorTransformer
from .nn.unet import UNet
from .stages.embed import ClipEncoder, ClipTowers
from .weights import IDENTITY, BundleError, load_module, read_files, weight_files

FORMAT = "unclip-studio/1"
RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "models"
DOCUMENTATION = {".md", ".png", ".jpg", ".jpeg", ".webp", ".gif"}  # suffixes `fingerprint` skips

__all__ = ["BundleError", "FORMAT", "default_bundle_path", "fingerprint", "load_bundle", "resolve", "save_bundle"]


def default_bundle_path() -> Path:
    """Where the embedded default bundle lives."""
    return RESOURCES / "default"


def resolve(spec: str) -> tuple[Path, str]:
    """A --model value ('default', a folder, or owner/name in the local HF cache) → (folder, model id)."""
    if spec == "default":
        path = default_bundle_path()
        if not (path / "model_index.json").is_file():
            raise BundleError(f"the embedded default model is not installed ({path}); pass --model FOLDER")
        return path, "default"
    path = Path(spec).expanduser()
    if not path.exists():
        from .hub import looks_like_repo_id, snapshot_folder
        if looks_like_repo_id(spec):
            return snapshot_folder(spec), spec
        raise BundleError(f"model folder not found: {spec}")
    if not (path / "model_index.json").is_file():
        raise BundleError(f"not a model folder (no model_index.json): {spec}")
    return path, str(path.resolve())


def read_json(path: Path) -> dict:
    """A JSON object from a bundle, with a clear error if missing or damaged."""
    if not path.is_file():
        raise BundleError(f"model folder incomplete: {path.parent.name}/{path.name} is missing")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BundleError(f"{path.parent.name}/{path.name} is not valid JSON: {err}")
    if not isinstance(data, dict):
        raise BundleError(f"{path.parent.name}/{path.name} is not a JSON object")
    return data


def _component(folder: Path, name: str, cls):
    """A component's config from `name/config.json`."""
    try:
        return from_dict(cls, read_json(folder / name / "config.json"))
    except BundleError:
        raise
    except (TypeError, ValueError) as err:
        raise BundleError(f"{name}/config.json: {err}")


def _documentation(path: Path) -> bool:
    """A file the loader never reads: the model card, its pictures, its evaluation tables (eval*.json)."""
    return path.suffix.lower() in DOCUMENTATION or (path.suffix == ".json" and path.name.startswith("eval"))


def fingerprint(folder: Path) -> str:
    """A short content hash of what a bundle computes with: configs in full, weights in full up to 64 MiB, else
    size + ends; the model card, pictures and evaluation tables are left out, so editing them keeps the hash."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                       and not _documentation(p)):
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
    """Load a bundle ('default', a folder, or a repo id in the local HF cache) onto a device."""
    folder, model_id = resolve(spec)
    index = read_json(folder / "model_index.json")
    if index.get("format") == FORMAT:
        model = _load_own(folder, index, device, dtype)
    else:
        from .karlo import PIPELINES, load_karlo
        kind = index.get("_class_name")
        if kind not in PIPELINES:
            raise BundleError(f"{spec} is a {kind or 'unknown'} model, not an unCLIP model "
                              f"(expected one of: {', '.join(PIPELINES)})")
        model = load_karlo(folder, index, device, dtype)
    model.model_id, model.fingerprint = model_id, fingerprint(folder)
    if torch.device(device).type != "cpu" or _weights_bytes(folder) <= CHANNELS_LAST_CPU_MAX:
        model.channels_last()
    return model


CHANNELS_LAST_CPU_MAX = 256 * 2**20  # on a CPU the weights are memory-mapped: re-laying them out keeps the
# file's pages resident beside the copies (up to 2× for a moment), so only bundles this small take the 1.35×
# channels-last speed-up there (bench/cpu_layout.py); on a GPU each weight is swapped one at a time


def _weights_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.suffix in (".safetensors", ".bin", ".pt"))


def _load_own(folder: Path, index: dict, device, dtype) -> UnCLIP:
    ups = index.get("upsamplers", [])
    has_prior = (folder / "prior").is_dir()
    config = BundleConfig(
        name=index.get("name", folder.name),
        clip=_component(folder, "clip", ClipConfig),
        prior=_component(folder, "prior", PriorStageConfig) if has_prior else None,
        decoder=_component(folder, "decoder", DecoderStageConfig),
        upsamplers=tuple(_component(folder, u, UpsamplerStageConfig) for u in ups),
        default_size=index.get("default_size"),
    )

    def load(factory, name: str, stem: str = "model", dtype_=dtype) -> nn.Module:
        return load_module(factory, [(read_files(weight_files(folder / name, (stem,)), device), IDENTITY)],
                           f"{name}/{stem}", device, dtype_)

    clip = load(lambda: ClipTowers(config.clip), "clip", dtype_=clip_dtype(device, dtype))
    prior = load(lambda: PriorTransformer(config.prior.network), "prior") if config.prior else None
    decoder = load(lambda: UNet(config.decoder.network), "decoder")
    conditioning = load(lambda: DecoderConditioning(config.decoder.conditioning), "decoder", "conditioning")
    upsamplers = []
    for name, cfg in zip(ups, config.upsamplers):
        first = load(lambda: UNet(cfg.network), name, "first")
        last = load(lambda: UNet(cfg.network), name, "last") if cfg.last_step_model else None
        upsamplers.append(Upsampler(first, last))
    return UnCLIP(config, ClipEncoder(clip, config.clip), prior, decoder, conditioning, upsamplers)


def _save(module: nn.Module, path: Path, dtype: torch.dtype | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cast = lambda v: v.to(dtype) if dtype is not None and v.is_floating_point() else v  # noqa: E731
    save_file({k: cast(v.detach().cpu()).contiguous() for k, v in module.state_dict().items()}, str(path))


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def save_bundle(model: UnCLIP, folder: str | Path, dtype: torch.dtype | None = None) -> Path:
    """Write a bundle folder in the studio's own layout that `load_bundle` reads back exactly
    (`dtype`, e.g. float16, stores the weights smaller; they load in the model's dtype)."""
    folder, c = Path(folder), model.config
    ups = [f"upsampler_{u.size}" for u in c.upsamplers]
    _write_json(folder / "model_index.json", {"format": FORMAT, "name": c.name, "upsamplers": ups,
                                              "default_size": c.default_size})
    parts = [("clip", c.clip, model.clip.towers), ("decoder", c.decoder, model.decoder)]
    if model.prior is not None:
        parts.append(("prior", c.prior, model.prior))
    for name, cfg, module in parts:
        _write_json(folder / name / "config.json", to_dict(cfg))
        _save(module, folder / name / "model.safetensors", dtype)
    _save(model.conditioning, folder / "decoder" / "conditioning.safetensors", dtype)
    for name, cfg, up in zip(ups, c.upsamplers, model.upsamplers):
        _write_json(folder / name / "config.json", to_dict(cfg))
        _save(up.first, folder / name / "first.safetensors", dtype)
        if up.last is not None:
            _save(up.last, folder / name / "last.safetensors", dtype)
    return folder

"""Write a model in the project's own layout, which `load` reads back exactly."""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from ...config import to_dict
from ...model import UnCLIP
from ..files import write_json, write_vocabulary
from .layout import CONDITIONING, CONFIG, FIRST, FORMAT, LAST, LIVE, MODEL, SUFFIX, upsampler_folder


def _save(module: nn.Module, path: Path, dtype: torch.dtype | None = None) -> None:
    """A module's state dict as safetensors, floats cast to `dtype` if given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cast = lambda v: v.to(dtype) if dtype is not None and v.is_floating_point() else v  # noqa: E731
    save_file({k: cast(v.detach().cpu()).contiguous() for k, v in module.state_dict().items()}, str(path))


def save_live(live: nn.Module, config, folder: str | Path, dtype: torch.dtype | None = torch.float16) -> Path:
    """A bundle's live decoder (live_decoder/: its config and weights); the bundle's fingerprint stays."""
    folder = Path(folder) / LIVE
    write_json(folder / CONFIG, to_dict(config))
    _save(live, folder / f"{MODEL}{SUFFIX}", dtype)
    return folder


def save_bundle(model: UnCLIP, folder: str | Path, dtype: torch.dtype | None = None) -> Path:
    """Write a bundle folder in the studio's own layout that `load_bundle` reads back exactly, its vocabulary
    included (`dtype`, e.g. float16, stores the weights smaller; they load in the model's dtype)."""
    folder, c = Path(folder), model.config
    ups = [upsampler_folder(u.size) for u in c.upsamplers]
    write_json(folder / "model_index.json", {"format": FORMAT, "name": c.name, "upsamplers": ups,
                                             "default_size": c.default_size})
    parts = [("clip", c.clip, model.clip.towers), ("decoder", c.decoder, model.decoder)]
    if model.prior is not None:
        parts.append(("prior", c.prior, model.prior))
    for name, cfg, module in parts:
        write_json(folder / name / CONFIG, to_dict(cfg))
        _save(module, folder / name / f"{MODEL}{SUFFIX}", dtype)
    _save(model.conditioning, folder / "decoder" / f"{CONDITIONING}{SUFFIX}", dtype)
    for name, cfg, up in zip(ups, c.upsamplers, model.upsamplers):
        write_json(folder / name / CONFIG, to_dict(cfg))
        _save(up.first, folder / name / f"{FIRST}{SUFFIX}", dtype)
        if up.last is not None:
            _save(up.last, folder / name / f"{LAST}{SUFFIX}", dtype)
    if model.live is not None:
        save_live(model.live, c.live, folder, dtype)
    if model.vocabulary is not None:
        write_vocabulary(folder, model.vocabulary)
    return folder

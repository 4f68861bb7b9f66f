"""Model families: each reads one layout of weights on disk into our networks; `load_bundle` picks the one that
claims a folder's model_index.json.

    --model spec ─resolve─► folder ─model_index.json─► the family that claims it ─load─► UnCLIP

A family is a package here (its config reading, key maps and file names; its `FAMILY`), importing only the shared
pieces (files.py, cache.py, hf_keys.py, engine/weights.py), never another family: adding one is a line in FAMILIES.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..model import UnCLIP
from ..weights import BundleError
from . import kandinsky, karlo, unclip
from .cache import cached_indexes, looks_like_repo_id, snapshot_folder
from .family import Family
from .files import fingerprint, read_json, weights_bytes
from .unclip import default_bundle_path, embedded_bundle, embedded_bundles, embedded_title, save_bundle, save_live

FAMILIES: tuple[Family, ...] = (unclip.FAMILY, karlo.FAMILY, kandinsky.FAMILY)

__all__ = ["BundleError", "FAMILIES", "Family", "cached_models", "default_bundle_path", "embedded_bundles",
           "embedded_title", "family_of", "fingerprint", "load_bundle", "resolve", "save_bundle", "save_live"]

CHANNELS_LAST_CPU_MAX = 256 * 2**20  # on a CPU the weights are memory-mapped: re-laying them out keeps the
# file's pages resident beside the copies (up to 2× for a moment), so only bundles this small take the 1.35×
# channels-last speed-up there (bench/cpu_layout.py); on a GPU each weight is swapped one at a time


def resolve(spec: str) -> tuple[Path, str]:
    """A --model value ('default', another shipped bundle's name, a folder, or owner/name in the local HF cache) →
    (folder, model id)."""
    if spec == "default":
        path = default_bundle_path()
        if not (path / "model_index.json").is_file():
            raise BundleError(f"the embedded default model is not installed ({path}); pass --model FOLDER")
        return path, "default"
    shipped = embedded_bundle(spec)
    if shipped is not None:
        return shipped, spec
    path = Path(spec).expanduser()
    if not path.exists():
        if looks_like_repo_id(spec):
            return snapshot_folder(spec), spec
        raise BundleError(f"model folder not found: {spec}")
    if not (path / "model_index.json").is_file():
        raise BundleError(f"not a model folder (no model_index.json): {spec}")
    return path, str(path.resolve())


def family_of(index: dict, spec: str) -> Family:
    """The family that claims a model_index.json, or a one-line error naming what the folder is."""
    for family in FAMILIES:
        if family.claims(index):
            return family
    kind = index.get("_class_name") or index.get("format")
    expected = ", ".join(name for family in FAMILIES for name in family.reads)
    raise BundleError(f"{spec} is a {kind or 'unknown'} model, not an unCLIP model (expected one of: {expected})")


def load_bundle(spec: str, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> UnCLIP:
    """Load a bundle ('default', another shipped one's name, a folder, or a repo id in the local HF cache)."""
    folder, model_id = resolve(spec)
    index = read_json(folder / "model_index.json")
    family = family_of(index, spec)
    model = family.load(folder, index, device, dtype)
    folders = family.folders(folder, index)
    model.model_id, model.fingerprint = model_id, fingerprint(*folders)
    if torch.device(device).type != "cpu" or weights_bytes(*folders) <= CHANNELS_LAST_CPU_MAX:
        model.channels_last()
    return model


def cached_models() -> list[str]:
    """Repo ids in the local Hugging Face cache that some family loads (offline; the studio's model list)."""
    return [repo for repo, index in cached_indexes() if any(f.claims(index) for f in FAMILIES)]

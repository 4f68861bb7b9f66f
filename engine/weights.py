"""Weights into modules: explicit key maps, shape checks, strict loading, one copy in memory.

Modules are built on the meta device and the loaded tensors are assigned to them, so the process
never holds a randomly initialised copy beside the real one; tensors are cast as they are read.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import torch
from safetensors import SafetensorError, safe_open
from torch import nn

from .errors import UserError

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt")
QKV = ("q", "k", "v")


class BundleError(UserError):
    """A model folder that is missing, incomplete, damaged or not what it claims to be."""


@dataclass(frozen=True)
class Rule:
    """Source keys matching `pattern` go to `target` (a re.sub template).

    part: None = as is; "T" = transposed; "q"/"k"/"v" = a third of a fused in-projection (dim 0).
    """

    pattern: str
    target: str
    part: str | None = None


@dataclass(frozen=True)
class KeyMap:
    """An ordered list of rules; keys matching `skip` are dropped, any other unmatched key is an error."""

    rules: tuple[Rule, ...]
    skip: str | None = None

    def map(self, key: str) -> tuple[str, str | None] | None:
        if self.skip and re.fullmatch(self.skip, key):
            return None
        for rule in self.rules:
            if re.fullmatch(rule.pattern, key):
                return re.sub(rule.pattern, rule.target, key), rule.part
        raise KeyError(key)


IDENTITY = KeyMap((Rule(r"(.+)", r"\1"),))


def weight_files(folder: Path, stems: tuple[str, ...]) -> list[Path]:
    """The weight files of a component: safetensors first, then pickles; sharded indexes followed."""
    for suffix in WEIGHT_SUFFIXES:
        for stem in stems:
            path = folder / f"{stem}{suffix}"
            index = folder / f"{stem}{suffix}.index.json"
            if path.is_file():
                return [path]
            if index.is_file():
                try:
                    shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
                except (json.JSONDecodeError, KeyError, UnicodeDecodeError) as err:
                    raise BundleError(f"{folder.name}/{index.name} is damaged ({err})")
                missing = [s for s in shards if not (folder / s).is_file()]
                if missing:
                    raise BundleError(f"model folder incomplete: {folder.name}/{missing[0]} is missing")
                return [folder / s for s in shards]
    raise BundleError(f"model folder incomplete: no weights in {folder.name}/ "
                      f"(expected {stems[0]}.safetensors)")


def read_tensors(path: Path, device: torch.device) -> Iterator[tuple[str, torch.Tensor]]:
    """(name, tensor) pairs of one file, one at a time; pickles only through weights_only=True."""
    where = f"{path.parent.name}/{path.name}"
    if path.suffix == ".safetensors":
        try:
            with safe_open(str(path), framework="pt", device=str(device)) as f:
                for key in f.keys():
                    yield key, f.get_tensor(key)
        except (SafetensorError, OSError) as err:
            raise BundleError(f"{where} is damaged or truncated ({err})")
        return
    try:
        data = _torch_load(path, device)
    except Exception as err:  # a crafted or damaged pickle must never run code: refuse it
        raise BundleError(f"{where}: refused to load ({type(err).__name__}); only plain tensors are allowed")
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]
    if not isinstance(data, dict):
        raise BundleError(f"{where}: not a dictionary of tensors")
    for key, value in data.items():
        if isinstance(value, torch.Tensor):
            yield key, value


def _torch_load(path: Path, device: torch.device):
    """torch.load with weights_only=True, memory-mapped when the file's format allows it."""
    try:
        return torch.load(path, map_location=device, weights_only=True, mmap=True)
    except RuntimeError as err:
        if "mmap" not in str(err):
            raise
        return torch.load(path, map_location=device, weights_only=True)


def read_files(files: list[Path], device: torch.device | str) -> Iterator[tuple[str, torch.Tensor]]:
    """Every tensor of a component's weight files, one at a time."""
    for path in files:
        yield from read_tensors(path, torch.device(device))


def load_module(factory: Callable[[], nn.Module],
                sources: list[tuple[Iterable[tuple[str, torch.Tensor]], KeyMap]], where: str,
                device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> nn.Module:
    """Build `factory()` on the meta device and fill it from (name, tensor) sources through their key
    maps, strictly: every tensor mapped, every shape checked, then load_state_dict(strict=True, assign=True)."""
    device = torch.device(device)
    with torch.device("meta"):
        module = factory()
    expected = {k: v.shape for k, v in module.state_dict().items()}
    state: dict[str, torch.Tensor] = {}
    pending: dict[str, dict[str, torch.Tensor]] = {}
    for tensors, key_map in sources:
        for key, tensor in tensors:
            try:
                mapped = key_map.map(key)
            except KeyError:
                raise BundleError(f"{where}: unexpected tensor {key!r} (is this folder another model family?)")
            if mapped is None:
                continue
            target, part = mapped
            tensor = tensor.to(device, dtype) if tensor.is_floating_point() else tensor.to(device)
            if part == "T":
                tensor = tensor.T.contiguous()
            if part in QKV:
                pending.setdefault(target, {})[part] = tensor
                if len(pending[target]) == 3:
                    thirds = pending.pop(target)
                    state[target] = torch.cat([thirds[p] for p in QKV])
            else:
                state[target] = tensor
    _check(state, expected, where)
    module.load_state_dict(state, strict=True, assign=True)
    if hasattr(module, "restore_buffers"):
        module.restore_buffers()
    stray = [n for n, b in module.named_buffers() if b.is_meta]
    if stray:
        raise BundleError(f"{where}: no values for {stray[:3]}")
    return module.eval().requires_grad_(False)


def _check(state: dict[str, torch.Tensor], expected: dict[str, torch.Size], where: str) -> None:
    """Missing, unexpected and wrongly shaped tensors, each named with both shapes."""
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise BundleError(f"{where}: {len(missing)} missing tensors {missing[:3]}, "
                          f"{len(unexpected)} unexpected tensors {unexpected[:3]}")
    for key, shape in expected.items():
        if state[key].shape != shape:
            raise BundleError(f"{where}: tensor {key} has shape {tuple(state[key].shape)} in the file "
                              f"but the model expects {tuple(shape)}")

"""The opt-in fast path: fused GroupNorm+SiLU in the ResBlocks and regional torch.compile of the repeated blocks.

Off by default: the plain modules run eager PyTorch and their numbers do not change. `enable` switches a set of
networks to the fast path in place (the CLI's `--compile`, bench/gpu_karlo.py's fast row). Regional compilation
compiles each ResBlock, attention block and prior transformer layer on its own: instances of one class share
their compiled code, so compile time grows with the number of distinct shapes, not with depth (parameter shapes
stay static: each channel count and size a block class meets compiles once).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from .layers import ContextAttention, ResBlock
from .transformer import Block

REPEATED = (ResBlock, ContextAttention, Block)  # the blocks a UNet or the prior is made of, many times over
RECOMPILE_LIMIT = 256  # graphs kept per block class (bench/gpu_karlo.py --tiny: 42 in all a batch size)


@dataclass(frozen=True)
class FastPath:
    """What the fast path turns on: regional compilation (with its torch.compile mode) and the fused norm."""

    compile: bool = True
    fuse_norm: bool = True
    mode: str | None = None  # torch.compile mode: None (default), "max-autotune-no-cudagraphs", "reduce-overhead"
    dynamic: bool | None = None  # None: an input size that changes may turn symbolic; False: one graph a shape
    backend: str = "inductor"  # "eager" traces without generating code (a quick check that the blocks compile)


def group_norm_silu(x: torch.Tensor, norm: nn.GroupNorm, scale: torch.Tensor | None = None,
                    shift: torch.Tensor | None = None) -> torch.Tensor:
    """SiLU(GroupNorm(x) · (1 + scale) + shift) in one pass: statistics and arithmetic in float32, one cast back."""
    b, c = x.shape[:2]
    g = x.float().reshape(b, norm.num_groups, -1)
    var, mean = torch.var_mean(g, dim=-1, correction=0, keepdim=True)
    y = ((g - mean) * torch.rsqrt(var + norm.eps)).reshape(x.shape)
    per_channel = (1, c) + (1,) * (x.dim() - 2)
    if norm.affine:
        y = y * norm.weight.float().view(per_channel) + norm.bias.float().view(per_channel)
    if scale is not None:
        y = y * (1 + scale.float()) + shift.float()
    return F.silu(y).to(x.dtype)


_compiled: dict[tuple, Callable] = {}


def compiled_group_norm_silu(backend: str = "inductor", dynamic: bool | None = None) -> Callable:
    """group_norm_silu compiled on its own (one generated kernel), for ResBlocks left uncompiled."""
    key = (backend, dynamic)
    if key not in _compiled:
        _compiled[key] = torch.compile(group_norm_silu, backend=backend, dynamic=dynamic, fullgraph=True)
    return _compiled[key]


def _raise_recompile_limit() -> None:
    config = torch._dynamo.config
    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"
    setattr(config, name, max(getattr(config, name), RECOMPILE_LIMIT))
    if hasattr(config, "accumulated_recompile_limit"):  # all code objects together
        config.accumulated_recompile_limit = max(config.accumulated_recompile_limit, 4 * RECOMPILE_LIMIT)


def enable(networks: Iterable[nn.Module], fast: FastPath = FastPath()) -> int:
    """Switch the networks to the fast path in place; the number of blocks compiled regionally."""
    if fast.compile or fast.fuse_norm:
        _raise_recompile_limit()
    norm_act = (group_norm_silu if fast.compile else compiled_group_norm_silu(fast.backend, fast.dynamic)) \
        if fast.fuse_norm else None
    count = 0
    for network in networks:
        for module in network.modules():
            if isinstance(module, ResBlock):
                module.norm_act = norm_act
            if fast.compile and isinstance(module, REPEATED):
                module.compile(backend=fast.backend, mode=fast.mode, dynamic=fast.dynamic, fullgraph=True)
                count += 1
    return count

"""Which torch device a `--device` value names: 'auto' is CUDA where torch sees a GPU, else the CPU."""
from __future__ import annotations

import torch

from .errors import UserError


def resolve_device(name: str) -> str:
    """A usable torch device name ('cpu', 'cuda', 'cuda:1' …) for `name`, or a one-line UserError."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise UserError(f"device {name!r} is not a torch device ({err})") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {name}: no CUDA GPU is visible to torch on this machine")
    return str(device)

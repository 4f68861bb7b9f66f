"""The host CPU: which precision runs fastest on it, and a malloc that keeps freed memory for reuse.

bench/cpu_runtime.py measures both against plain float32 and glibc's defaults.
"""
from __future__ import annotations

import ctypes
import sys

import torch

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
KEEP = ((M_MMAP_THRESHOLD, 1 << 30), (M_TRIM_THRESHOLD, 1 << 30), (M_TOP_PAD, 256 << 20))


def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX-512 BF16 or AMX): oneDNN's bf16 kernels then beat float32."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def default_dtype(device: str, exact: bool = False) -> torch.dtype:
    """The precision `auto` means: float16 on CUDA, bfloat16 on a CPU with native bf16, else float32.

    `exact` (the batch): float32 on every CPU (oneDNN's bf16 kernels accumulate in a thread-dependent order), so
    workers of one machine kind render a job identically; CPUs of different instruction sets can still differ by a
    level on a few pixels (AVX2 and AVX-512 do: tests/engine/test_replay.py).
    """
    if device == "cuda":
        return torch.float16
    return torch.bfloat16 if native_bfloat16() and not exact else torch.float32


def dtype_named(name: str, device: str, exact: bool = False) -> torch.dtype:
    """A `--dtype` value: 'auto' is `default_dtype`, any other the torch dtype of that name."""
    return default_dtype(device, exact) if name == "auto" else getattr(torch, name)


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed blocks up to 1 GiB for reuse instead of returning them to the kernel.

    A diffusion step frees and re-allocates the same tens of megabytes of activations; by default each large block
    is a fresh mmap whose pages the kernel must zero and fault in again, which on this project's 2-core VM was a
    third of a 1024 px render's time. Returns False (and changes nothing) where the C library is not glibc.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: mallopt is absent or a no-op
        return False
    return all(libc.mallopt(option, value) == 1 for option, value in KEEP)

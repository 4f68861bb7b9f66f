"""What a model family gives the loader: which folders it claims, and how it loads them."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from ..model import UnCLIP


def one_folder(folder: Path, index: dict) -> tuple[Path, ...]:
    """A bundle that is one folder (every family so far)."""
    return (folder,)


@dataclass(frozen=True)
class Family:
    """One layout of unCLIP weights on disk; `claims` looks only at the folder's model_index.json.

    `folders`: every folder a bundle reads, hashed and sized by the loader (a family whose models span
    two repos, such as a prior repo and a decoder repo, names both).
    """

    name: str
    reads: tuple[str, ...]  # what it reads, named in the error on an index that no family claims
    claims: Callable[[dict], bool]
    load: Callable[[Path, dict, torch.device | str, torch.dtype], UnCLIP]
    folders: Callable[[Path, dict], tuple[Path, ...]] = one_folder

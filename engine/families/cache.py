"""Offline lookup of a model in the local Hugging Face cache (huggingface_hub, local files only)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterator

from ..weights import BundleError

REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?")


def looks_like_repo_id(spec: str) -> bool:
    """'owner/name' or 'owner/name@revision', not a path that merely does not exist."""
    return bool(REPO_ID.fullmatch(spec)) and not spec.startswith((".", "/", "~"))


def cache_dir() -> Path:
    """The hub cache the user's environment points at: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "huggingface"
    return Path(home) / "hub"


def snapshot_folder(spec: str) -> Path:
    """The cached snapshot folder of 'owner/name[@revision]'; never touches the network."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo, _, revision = spec.partition("@")
    cache = cache_dir()
    try:
        folder = Path(snapshot_download(repo, revision=revision or None, cache_dir=cache, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError):
        raise BundleError(f"{spec} is not in the local Hugging Face cache ({cache}); download it once with "
                          f"`hf download {repo}` (or pass --model FOLDER)")
    if not (folder / "model_index.json").is_file():
        raise BundleError(f"{spec}: the cached snapshot has no model_index.json ({folder})")
    return folder


def cached_indexes() -> Iterator[tuple[str, dict]]:
    """(repo id, model_index.json) of every cached repo whose main snapshot has a readable index."""
    for repo in sorted(cache_dir().glob("models--*--*")):
        ref = repo / "refs" / "main"
        if not ref.is_file():
            continue
        index = repo / "snapshots" / ref.read_text().strip() / "model_index.json"
        try:
            data = json.loads(index.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            yield repo.name.removeprefix("models--").replace("--", "/", 1), data


def cached_snapshot(repo: str) -> Path | None:
    """The cached main snapshot of 'owner/name' with a model_index.json, or None; never touches the network."""
    try:
        return snapshot_folder(repo)
    except BundleError:
        return None


def repo_of(folder: Path) -> str | None:
    """'owner/name' of a snapshot folder inside a hub cache (…/models--owner--name/snapshots/<revision>), else None."""
    parts = Path(folder).resolve().parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-3].removeprefix("models--").replace("--", "/", 1)
    return None

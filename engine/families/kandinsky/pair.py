"""Kandinsky 2.2 spans two repos: the user names the decoder, and its prior is found beside it, offline.

Where the prior is looked for, in order:
1. a sibling folder named as the decoder with "decoder" → "prior" (…/kandinsky-2-2-decoder → …/kandinsky-2-2-prior);
2. the local Hugging Face cache, under each repo id the decoder's model card lists as `prior:` (the hub's
   kandinsky-2-2-decoder card lists kandinsky-community/kandinsky-2-2-prior), then under the decoder's own repo id
   with "decoder" → "prior", then under kandinsky-community/kandinsky-2-2-prior.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ...weights import BundleError
from ..cache import cached_snapshot, repo_of

DECODER = "KandinskyV22Pipeline"
PRIOR = "KandinskyV22PriorPipeline"
PRIOR_REPO = "kandinsky-community/kandinsky-2-2-prior"


def _is_prior(folder: Path) -> bool:
    """A folder whose model_index.json names the prior pipeline."""
    try:
        return json.loads((folder / "model_index.json").read_text()).get("_class_name") == PRIOR
    except (OSError, ValueError, AttributeError):
        return False


def card_priors(folder: Path) -> list[str]:
    """Repo ids listed under `prior:` in the front matter of the folder's README.md (the hub's model card)."""
    try:
        text = (folder / "README.md").read_text(errors="replace")
    except OSError:
        return []
    match = re.match(r"---\s*\n(.*?)\n---", text, re.S)
    if not match:
        return []
    ids, inside = [], False
    for line in match.group(1).splitlines():
        if re.match(r"prior\s*:", line):
            inside = True
            ids += re.findall(r"[\w.-]+/[\w.-]+", line.split(":", 1)[1])
        elif inside and re.match(r"\s*-\s*", line):
            ids += re.findall(r"[\w.-]+/[\w.-]+", line)
        else:
            inside = False
    return ids


def prior_candidates(decoder: Path) -> tuple[list[Path], list[str]]:
    """The sibling folders and the cached repo ids where the decoder's prior may be, in the order tried."""
    decoder = Path(decoder)
    siblings = [decoder.parent / decoder.name.replace("decoder", "prior")] if "decoder" in decoder.name else []
    repos = card_priors(decoder)
    repo = repo_of(decoder)
    if repo and "decoder" in repo:
        repos.append(repo.replace("decoder", "prior"))
    repos.append(PRIOR_REPO)
    return siblings, list(dict.fromkeys(repos))


def prior_folder(decoder: Path) -> Path:
    """The prior snapshot of a Kandinsky 2.2 decoder folder, or a one-line error saying where it was looked for."""
    siblings, repos = prior_candidates(decoder)
    for folder in siblings:
        if _is_prior(folder):
            return folder
    for repo in repos:
        folder = cached_snapshot(repo)
        if folder is not None and _is_prior(folder):
            return folder
    beside = f"a folder {siblings[0]} or " if siblings else ""
    raise BundleError(f"{repo_of(decoder) or Path(decoder).name}: a Kandinsky 2.2 decoder needs its prior ({PRIOR}), found in neither "
                      f"{beside}the local Hugging Face cache; download it once with `hf download {repos[0]}`")

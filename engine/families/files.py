"""Files every family reads alike: JSON configs, and a bundle's content hash and weight size."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..vocabulary import FILE as VOCABULARY, Vocabulary
from ..weights import WEIGHT_SUFFIXES, BundleError

DOCUMENTATION = {".md", ".png", ".jpg", ".jpeg", ".webp", ".gif"}  # suffixes `fingerprint` skips
# Names `fingerprint` skips in any bundle: the sampling defaults (records carry every resolved setting) and the
# live decoder (its images are previews, never saved): neither changes a saved image's pixels.
DEFAULTS, LIVE = "defaults.json", "live_decoder"


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


def write_json(path: Path, data: dict) -> None:
    """A JSON object, indented, its folder made if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def read_vocabulary(folder: Path) -> Vocabulary | None:
    """The bundle's vocabulary.json (what its captions were made of), or None where it has none."""
    path = folder / VOCABULARY
    if not path.is_file():
        return None
    try:
        return Vocabulary.from_dict(read_json(path))
    except (KeyError, TypeError, ValueError) as err:
        raise BundleError(f"{folder.name}/{VOCABULARY}: {err}")


def write_vocabulary(folder: Path, vocabulary: Vocabulary) -> Path:
    """vocabulary.json in a bundle folder."""
    write_json(folder / VOCABULARY, vocabulary.to_dict())
    return folder / VOCABULARY


def _documentation(path: Path) -> bool:
    """A file that changes no pixel: the model card, its pictures, its evaluation tables (eval*.json), the
    vocabulary (vocabulary.json: what the prompt box and the CLI say about a prompt, never what the model reads)."""
    return path.suffix.lower() in DOCUMENTATION or (path.suffix == ".json" and path.name.startswith("eval")) \
        or path.name in (VOCABULARY, DEFAULTS) or path.parent.name == LIVE


def fingerprint(*folders: Path) -> str:
    """A short content hash of what a bundle computes with: configs in full, weights in full up to 64 MiB, else
    size + ends; the model card, pictures, evaluation tables and vocabulary.json are left out (they change no
    pixel), and so are the sampling defaults and the live decoder, so editing them keeps the hash that saved
    images name."""
    h = hashlib.sha256()
    for folder in folders:
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


def weights_bytes(*folders: Path) -> int:
    """The size of every weight file in the folders."""
    return sum(p.stat().st_size for folder in folders for p in folder.rglob("*") if p.suffix in WEIGHT_SUFFIXES)

"""The project's own bundle layout: its format tag, folder and file names, and where the default lives.

    model_index.json               {"format": "unclip-studio/1", "name", "upsamplers": [...], "default_size"}
    clip/     config.json model.safetensors
    prior/    config.json model.safetensors          (absent in an image-variations bundle)
    decoder/  config.json model.safetensors conditioning.safetensors
    upsampler_<size>/  config.json first.safetensors [last.safetensors]
    [vocabulary.json]              the words its captions were made of (engine/vocabulary.py); not hashed
    [defaults.json]                the sampling a request gets for what it leaves unset; not hashed
    [live_decoder/]  config.json model.safetensors   the one-step live decoder (previews only); not hashed
"""
from __future__ import annotations

from pathlib import Path

from ..files import DEFAULTS, LIVE  # noqa: F401 - names outside the fingerprint: they change no saved pixel

FORMAT = "unclip-studio/1"
RESOURCES = Path(__file__).resolve().parents[3] / "resources" / "models"
DEFAULT = "shapes"  # the shipped bundle `--model default` loads; the others are listed beside it by name
CONFIG = "config.json"
MODEL, CONDITIONING, FIRST, LAST = "model", "conditioning", "first", "last"  # weight file stems
SUFFIX = ".safetensors"


def default_bundle_path() -> Path:
    """Where the embedded default bundle lives."""
    return RESOURCES / DEFAULT


def embedded_bundles() -> list[str]:
    """Names of the bundles shipped beside the default in resources/models ('everyday', …), each a --model value."""
    return [name for name in _shipped() if name != DEFAULT]


def _shipped() -> list[str]:
    """Names of every bundle folder in resources/models, the default's included."""
    if not RESOURCES.is_dir():  # an install without the resources folder: the default reports itself missing
        return []
    return sorted(p.name for p in RESOURCES.iterdir() if (p / "model_index.json").is_file())


def embedded_title(name: str) -> str:
    """The first heading of a shipped bundle's card ('default': the default's), or '' where it has none."""
    folder = embedded_bundle(name)
    try:
        first = (folder / "README.md").read_text(encoding="utf-8").partition("\n")[0] if folder else ""
    except (OSError, UnicodeDecodeError):  # no card, or an unreadable one: no tooltip, never a failed start
        return ""
    return first[2:].strip() if first.startswith("# ") else ""


def embedded_bundle(name: str) -> Path | None:
    """The folder of the shipped bundle called `name` ('default' or its own name, e.g. 'shapes', included), or None."""
    name = DEFAULT if name == "default" else name
    return RESOURCES / name if name in _shipped() else None


def upsampler_folder(size: int) -> str:
    """The folder of the upsampler to `size` px."""
    return f"upsampler_{size}"

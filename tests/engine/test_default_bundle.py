"""The shipped embedded default: present, small, loads with no flag, renders 256 px by default."""
import numpy as np

from engine import Settings, TextToImage, load_bundle, run
from engine.bundles import default_bundle_path


def test_default_bundle_is_small_and_loads_with_no_flag():
    folder = default_bundle_path()
    assert sum(p.stat().st_size for p in folder.rglob("*.safetensors")) <= 40e6
    assert (folder / "README.md").is_file()
    model = load_bundle("default")
    assert model.model_id == "default" and model.config.sizes == (64, 256, 1024)
    assert model.config.default_size == 256


def test_default_bundle_draws_the_requested_colour():
    """An end-to-end check at 64 px: "a large red circle on a blue background" has red and blue regions."""
    model = load_bundle("default")
    image = run(model, TextToImage("a large red circle on a blue background", seeds=(3,),
                                   settings=Settings(size=64)))[0].image.astype(int)
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    red = ((r > g + 80) & (r > b + 80)).mean()
    blue = ((b > r + 80) & (b > g + 80)).mean()
    assert red > 0.08 and blue > 0.3, (red, blue)

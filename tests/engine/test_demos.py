"""docs/demos.py, the README's everyday demos, runs end to end on a tiny bundle and writes its four WebPs."""
import importlib.util
from pathlib import Path

from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "demos.py"


def test_the_demos_write_four_animations_from_atlas_drawings(tiny_bundle, tmp_path):
    spec = importlib.util.spec_from_file_location("demos", SCRIPT)
    demos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demos)
    with Image.open(demos.source("cat", tmp_path, 64)) as im:  # the dropped image: the cat drawn on white
        pixels = im.convert("RGB")
        assert min(pixels.getpixel((0, 0))) >= 240 and len(pixels.getcolors(4096) or ()) > 20
    assert demos.main(["--model", str(tiny_bundle), "--out", str(tmp_path), "--frames", "3", "--size", "64"]) == 0
    frames = {}
    for path in sorted(tmp_path.glob("*.webp")):
        with Image.open(path) as im:
            frames[path.name] = (im.n_frames, im.size)
            if "dog" in path.name:  # a strip keeps the CLI's records of its frames
                assert b'"frames": [' in im.info["xmp"]
    assert frames == {"everyday-cat-dog-fixed.webp": (3, (64, 64)), "everyday-cat-dog-inverted.webp": (3, (64, 64)),
                      "everyday-cat-tiger.webp": (3, (64, 64)), "everyday-variations.webp": (5, (64, 64))}

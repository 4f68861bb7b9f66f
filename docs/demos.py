"""The README's everyday demos (paper §3), made with the command line an artist uses, on a bundle that knows things.

    python docs/demos.py [--model everyday] [--out docs] [--frames 8] [--size 256]

Writes, for the things "cat", "dog" and "tiger" of the everyday vocabulary:
    everyday-cat-dog-fixed.webp      interpolation "a cat" → "a dog", one decoder noise for every frame (§3.2)
    everyday-cat-dog-inverted.webp   interpolation between the atlas's cat and dog drawings, their DDIM inversions
                                     slerped (§3.2)
    everyday-variations.webp         the atlas's cat drawing (first frame) and four variations of it (§3.1)
    everyday-cat-tiger.webp          a text diff of the cat drawing toward "a tiger", caption "a cat" (§3.3)
The sources are the emoji atlas's drawings (resources/world), rendered at the centre on white, as an artist's
dropped emoji-like image. The strips keep the CLI's frame records (XMP), re-saved as lossy WebP for the README.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageSequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.cli import main as cli  # noqa: E402
from engine.training.world import Item, Scene, render  # noqa: E402

def source(noun: str, folder: Path, size: int) -> Path:
    """The atlas's drawing of `noun`, large at the centre on white, as a PNG of `size` px."""
    path = folder / f"{noun}.png"
    Image.fromarray(render(Scene((Item(noun, "large", "centre"),), "solid", ("white", "white")), size)).save(path)
    return path


def command(*argv: str) -> None:
    """One CLI command; a failure stops the demos with its status."""
    print("python main.py", " ".join(f'"{a}"' if " " in a else a for a in argv), file=sys.stderr)
    status = cli(list(argv))
    if status:
        raise SystemExit(status)


def save_webp(frames: list[Image.Image], out: Path, duration: int | list[int], xmp: bytes = b"") -> None:
    """Frames as a looping lossy WebP (quality 80: the README's pictures, a tenth of the lossless bytes)."""
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=duration, loop=0, quality=80, xmp=xmp)
    print(out)


def compact(path: Path) -> None:
    """Re-save the CLI's lossless strip at the README's quality, its frame times and its records (XMP) kept."""
    with Image.open(path) as im:
        xmp, frames, durations = im.info.get("xmp", b""), [], []
        for frame in ImageSequence.Iterator(im):
            frame.load()
            frames.append(frame.convert("RGB"))
            durations.append(frame.info.get("duration", 125))
    save_webp(frames, path, durations, xmp)


def variations_sheet(cat: Path, folder: Path, out: Path) -> None:
    """The source and its variations as one animated WebP, the source first (1 s a frame)."""
    frames = []
    for path in [cat, *sorted(folder.glob("*.png"))]:
        with Image.open(path) as im:
            frames.append(im.convert("RGB"))
    save_webp(frames, out, 1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--model", default="everyday")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out, common = Path(args.out), ["--model", args.model, "--size", str(args.size), "--seed", str(args.seed)]
    with tempfile.TemporaryDirectory() as tmp:
        cat, dog = (source(noun, Path(tmp), args.size) for noun in ("cat", "dog"))
        strip = ["--frames", str(args.frames), *common]
        command("interpolate", "text:a cat", "text:a dog", "--noise", "fixed", *strip,
                "--out", str(out / "everyday-cat-dog-fixed.webp"))
        command("interpolate", str(cat), str(dog), "--noise", "inverted", *strip,
                "--out", str(out / "everyday-cat-dog-inverted.webp"))
        varied = Path(tmp) / "variations"
        varied.mkdir()
        command("vary", str(cat), "--count", "4", *common, "--out", str(varied))
        variations_sheet(cat, varied, out / "everyday-variations.webp")
        command("textdiff", str(cat), "a tiger", "--caption", "a cat", *strip,
                "--out", str(out / "everyday-cat-tiger.webp"))
    for name in ("everyday-cat-dog-fixed", "everyday-cat-dog-inverted", "everyday-cat-tiger"):
        compact(out / f"{name}.webp")
    return 0


if __name__ == "__main__":
    sys.exit(main())

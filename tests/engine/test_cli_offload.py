"""--offload on the command line: accepted by every command that loads a model, the same pixels and records as
without it (on a CPU, where offloading moves nothing), refused with --ray."""
import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.record import read_png
from tests.engine.kandinsky_reference import kandinsky  # noqa: F401 (the fixture)


def pixels_and_records(folder):
    files = sorted(folder.glob("*.png"))
    assert files
    return [(np.asarray(Image.open(f)), read_png(f)) for f in files]


def same_with_and_without(tmp_path, args: list[str]) -> None:
    """Run `args` with --out DIR, plain and with --offload; both folders hold identical PNGs and records."""
    for name, extra in (("plain", []), ("offload", ["--offload"])):
        (tmp_path / name).mkdir()
        assert main([*args, "--out", str(tmp_path / name), *extra]) == 0
    plain, offload = pixels_and_records(tmp_path / "plain"), pixels_and_records(tmp_path / "offload")
    assert len(plain) == len(offload)
    for (a, ra), (b, rb) in zip(plain, offload):
        assert np.array_equal(a, b) and ra == rb


@pytest.mark.parametrize("command", ["generate", "vary", "interpolate"])
def test_offload_gives_the_same_pixels_on_the_kandinsky_pair(kandinsky, tmp_path, command):  # noqa: F811
    source = tmp_path / "source.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(source)
    other = tmp_path / "other.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(other)
    common = ["--model", str(kandinsky["decoder_dir"]), "--seed", "3", "--size", "20", "--steps", "2,3,1"]
    args = {"generate": ["generate", "a red circle", "--count", "2"],
            "vary": ["vary", str(source), "--amount", "0.3"],
            "interpolate": ["interpolate", str(source), str(other), "--frames", "3", "--noise", "inverted"]}[command]
    same_with_and_without(tmp_path, [*args, *common])


def test_offload_gives_the_same_pixels_on_a_bundle(tiny_bundle, tmp_path):
    same_with_and_without(tmp_path, ["generate", "two stars", "--model", str(tiny_bundle), "--seed", "5",
                                     "--size", "32", "--steps", "2,2,2"])


def test_offload_with_ray_is_refused_in_one_line(tmp_path, capsys):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "x"}\n')
    assert main(["batch", str(jobs), "--out", str(tmp_path / "out"), "--ray", "local", "--offload"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --offload is for one process")

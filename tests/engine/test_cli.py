"""The headless CLI: the DESIGN.md contract, in-process where possible and once as a real process."""
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_generate_twice_gives_identical_pixels(tiny_bundle, tmp_path, capsys):
    args = ["generate", "a red circle", "--model", str(tiny_bundle), "--seed", "1"]
    assert main(args + ["--out", str(tmp_path / "a.png")]) == 0
    assert main(args + ["--out", str(tmp_path / "b.png")]) == 0
    a, b = (np.asarray(Image.open(tmp_path / n)) for n in ("a.png", "b.png"))
    assert a.shape == (64, 64, 3) and np.array_equal(a, b)
    text = Image.open(tmp_path / "a.png").text
    assert text["parameters"].startswith("a red circle\nSteps: 4, Sampler: DDPM, CFG scale: 8.0, Seed: 1, Size: 64x64")
    assert main(["info", str(tmp_path / "a.png")]) == 0
    assert '"seed": 1' in capsys.readouterr().out


def test_count_size_steps_and_guidance(tiny_bundle, tmp_path):
    out = tmp_path / "many"
    assert main(["generate", "two stars", "--model", str(tiny_bundle), "--seed", "5", "--count", "3",
                 "--size", "32", "--steps", "2,3,2", "--prior-guidance", "2", "--decoder-guidance", "3",
                 "--out", str(out)]) == 0
    files = sorted(out.glob("*.png"))
    assert [f.name for f in files] == ["two-stars-5.png", "two-stars-6.png", "two-stars-7.png"]
    meta = Image.open(files[0]).text["parameters"]
    assert "Steps: 3" in meta and "CFG scale: 3.0" in meta and "Size: 32x32" in meta and "Prior steps: 2" in meta
    assert "Layout CFG scale" not in meta  # the same as the decoder's


def test_layout_guidance_flag_reaches_the_image(tiny_bundle, tmp_path):
    assert main(["generate", "x", "--model", str(tiny_bundle), "--seed", "1", "--size", "16", "--steps", "2,2,2",
                 "--decoder-guidance", "4", "--layout-guidance", "0.5", "--out", str(tmp_path / "l.png")]) == 0
    text = Image.open(tmp_path / "l.png").text
    assert "Layout CFG scale: 0.5" in text["parameters"] and '"layout_guidance": 0.5' in text["unclip"]
    assert main(["vary", str(tmp_path / "l.png"), "--model", str(tiny_bundle), "--seed", "1", "--size", "16",
                 "--steps", "2,2,2", "--candidates", "2", "--accept-cosine", "0.5", "--out", str(tmp_path / "v")]) == 0
    text = Image.open(next((tmp_path / "v").glob("*.png"))).text
    assert "Decoder candidates: 2" in text["parameters"] and "Candidate accept cosine: 0.5" in text["parameters"]
    assert '"accept_cosine": 0.5' in text["unclip"]
    assert main(["generate", "x", "--model", str(tiny_bundle), "--candidates", "9"]) == 2
    assert main(["generate", "x", "--model", str(tiny_bundle), "--accept-cosine", "1.5"]) == 2


def test_quality_preset_is_karlo_original_default(tiny_bundle, tmp_path):
    assert main(["generate", "x", "--model", str(tiny_bundle), "--seed", "1", "--preset", "quality", "--size", "16",
                 "--out", str(tmp_path / "q.png")]) == 0
    assert "Steps: 50," in Image.open(tmp_path / "q.png").text["parameters"]
    assert "Prior steps: 25" in Image.open(tmp_path / "q.png").text["parameters"]


def test_vary_writes_one_file_per_seed(tiny_bundle, tmp_path):
    src = tmp_path / "src.jpg"
    Image.new("RGB", (50, 20), (200, 30, 30)).save(src)
    assert main(["vary", str(src), "--model", str(tiny_bundle), "--count", "2", "--seed", "9",
                 "--out", str(tmp_path / "v")]) == 0
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == ["src-var-10.png", "src-var-9.png"]


@pytest.mark.parametrize("args,message", [
    (["generate", "x", "--model", "{b}", "--seed", "-1"], "--seed must be from 0"),
    (["generate", "x", "--model", "{b}", "--steps", "1,x,2"], "--steps takes three whole numbers"),
    (["generate", "x", "--model", "{b}", "--decoder-guidance", "nan"], "decoder guidance must be a number"),
    (["generate", "x", "--model", "{b}", "--size", "100"], "size 100 is not a stage"),
    (["generate", "x", "--model", "{b}", "--count", "0"], "--count must be from 1"),
    (["generate", "x", "--model", "/no/such/folder"], "model folder not found"),
    (["vary", "/no/such.png", "--model", "{b}"], "file not found"),
    (["vary", "{txt}", "--model", "{b}"], "not a readable image"),
    (["info", "{txt}"], "not a readable image"),
    (["generate"], "the following arguments are required: prompt"),
    (["explode"], "invalid choice"),
    (["generate", "x", "--model", "{b}", "--out", "{tmp}/x.avi"], "unknown file type '.avi'"),
    (["generate", "x", "--model", "{b}", "--out", "/nonexistent/dir/a.png"], "does not exist"),
    (["vary", "{txt}", "--model", "{b}", "--out", "{tmp}/v.png"], "unknown file type '.png'"),
    (["interpolate", "text:a", "text:b", "--model", "{b}", "--out", "{tmp}/x.avi"], "unknown file type"),
])
def test_user_errors_are_one_line_and_status_2(tiny_bundle, tmp_path, capsys, args, message):
    txt = tmp_path / "notes.png"
    txt.write_text("not an image")
    args = [a.format(b=tiny_bundle, txt=txt, tmp=tmp_path) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err


def test_interrupt_mid_stage_writes_nothing(tiny_bundle, tmp_path):
    """A real process, stopped by SIGINT in the decoder: exit 130, no file, no temporary left."""
    out = tmp_path / "out"
    # a shell's background job (`.ci/run &`) starts with SIGINT ignored, and so would main.py: give it Ctrl+C back
    start = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")
    proc = subprocess.Popen(
        [sys.executable, "-c", start, str(ROOT / "main.py"), "generate", "x", "--model", str(tiny_bundle),
         "--seed", "1", "--steps", "2,1000,2", "--out", str(out)], stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    seen = ""
    deadline = time.time() + 120
    while "decoder" not in seen and time.time() < deadline:
        seen += proc.stderr.read(1)
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, seen + rest
    assert "error: interrupted" in rest
    assert not out.exists() or not any(out.iterdir())


def test_missing_default_model_is_a_clear_error(capsys, monkeypatch, tmp_path):
    import engine.families.unclip.layout as layout
    monkeypatch.setattr(layout, "RESOURCES", tmp_path)
    assert main(["generate", "x"]) == 2
    assert "embedded default model is not installed" in capsys.readouterr().err


def test_interpolate_exports_read_back(tiny_bundle, tmp_path):
    from engine.animation import read_record
    common = ["--model", str(tiny_bundle), "--seed", "2", "--steps", "2,2,2", "--size", "32", "--frames", "5"]
    gif = tmp_path / "walk.gif"
    assert main(["interpolate", "text:a red circle", "text:a blue star", "--out", str(gif), "--pingpong"]
                + common) == 0
    with Image.open(gif) as im:
        assert im.n_frames == 8 and im.size == (32, 32)  # 5 there, 3 back
    record = read_record(gif)
    assert [f["frame"] for f in record["frames"]] == list(range(5))
    assert [f["position"] for f in record["frames"]] == [0, 0.25, 0.5, 0.75, 1]
    assert {f["seed"] for f in record["frames"]} == {2}
    folder = tmp_path / "frames"
    assert main(["interpolate", "text:a red circle", "text:a blue star", "--out", str(folder)] + common) == 0
    frames = sorted(folder.glob("frame-*.png"))
    assert len(frames) == 5 and '"frame": 4' in Image.open(frames[-1]).text["unclip"]
    sheet = tmp_path / "sheet.png"
    assert main(["interpolate", "text:a red circle", "text:a blue star", "--out", str(sheet)] + common) == 0
    assert len(read_record(sheet)["frames"]) == 5


@pytest.mark.parametrize("extra, message", [
    (["interpolate", "text:a", "text:b", "--noise", "inverted"], "inverted noise needs two images"),
    (["interpolate", "text:a", "text:b", "--frames", "1"], "--frames must be from 2 to 256"),
    (["textdiff", "MISSING.png", "a star"], "file not found"),
])
def test_exploration_errors_are_one_line(tiny_bundle, tmp_path, capsys, extra, message):
    assert main(extra + ["--model", str(tiny_bundle), "--out", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_output_seed_default_folder_and_mode(tiny_bundle, tmp_path, capsys, monkeypatch):
    """Each path is printed with its seed; no --out writes to the pictures folder; files follow the umask."""
    import os
    monkeypatch.setenv("UNCLIP_STUDIO_OUTPUT", str(tmp_path / "pictures"))
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        assert main(["generate", "a red circle", "--model", str(tiny_bundle), "--seed", "4", "--size", "16"]) == 0
    finally:
        os.umask(old)
    line = capsys.readouterr().out.strip()
    assert line == f"{tmp_path / 'pictures' / 'a-red-circle-4.png'}\tseed 4"
    assert (tmp_path / "pictures" / "a-red-circle-4.png").stat().st_mode & 0o777 == 0o644
    assert not (tmp_path / "outputs").exists()


def test_wrong_usage_answers_before_torch_is_imported(tmp_path):
    """Argument and path errors, --help, info and unknown commands never import torch."""
    png = tmp_path / "none.png"
    code = ("import sys; from main import main; codes = [main(a) for a in ({cases})]; "
            "assert 'torch' not in sys.modules, 'torch imported'; print(codes)")
    cases = repr([["frobnicate"], ["generate", "x", "--count", "0"], ["generate", "x", "--out", "a.avi"],
                  ["info", str(png)], ["vary", "x.png", "--out", "/nonexistent/d/x"], ["generate", "x", "--steps", "1"]])
    done = subprocess.run([sys.executable, "-c", code.format(cases=cases)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[2, 2, 2, 2, 2, 2]"
    assert all(line.startswith("error: ") for line in done.stderr.strip().splitlines())
    helped = subprocess.run([sys.executable, "-c", "import sys; from main import main\ntry: main(['--help'])\n"
                             "except SystemExit: pass\nassert 'torch' not in sys.modules"], cwd=ROOT,
                            capture_output=True, text=True)
    assert helped.returncode == 0 and "generate" in helped.stdout, helped.stderr

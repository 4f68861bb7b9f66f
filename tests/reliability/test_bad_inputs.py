"""The bad-input matrix through the CLI and the studio: a usable image or one clear line, never a traceback."""
import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.sources import load_image, load_image_with_notes

from .inputs import BAD, GOOD, make


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    return errors[0]


@pytest.mark.parametrize("kind", GOOD)
def test_odd_but_valid_files_make_variations(kind, tiny_bundle, tmp_path):
    path = make(kind, tmp_path / "in")
    assert main(["vary", str(path), "--model", str(tiny_bundle), "--seed", "1", "--out", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").glob("*.png"))) == 1


@pytest.mark.parametrize("kind, message", BAD.items())
def test_bad_files_are_one_line_errors(kind, message, tiny_bundle, tmp_path, capsys):
    path = make(kind, tmp_path / "in")
    assert main(["vary", str(path), "--model", str(tiny_bundle), "--out", str(tmp_path / "out")]) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_exif_orientation_is_applied(tmp_path):
    assert load_image(make("exif_rotated", tmp_path)).size == (32, 48)


def test_animated_gif_takes_the_first_frame_and_says_so(tmp_path, tiny_bundle, capsys):
    image, notes = load_image_with_notes(make("animated_gif", tmp_path))
    assert np.asarray(image)[0, 0].tolist() == [255, 0, 0] and "first of 3 frames" in notes[0]
    assert main(["vary", str(tmp_path / "anim.gif"), "--model", str(tiny_bundle), "--out", str(tmp_path / "o")]) == 0
    assert "warning: " in capsys.readouterr().err


def test_sixteen_bit_keeps_its_range(tmp_path):
    pixels = np.asarray(load_image(make("png16", tmp_path)))
    assert pixels.max() > 200 and pixels.dtype == np.uint8


def test_palette_transparency_becomes_white(tmp_path):
    path = make("palette_transparent", tmp_path)
    im = Image.open(path)
    transparent = np.argwhere(np.asarray(im) == 0)
    y, x = transparent[0]
    assert np.asarray(load_image(path))[y, x].tolist() == [255, 255, 255]


PROMPTS = {"empty": "", "whitespace": "   \t\n ", "long": "a red circle " * 800, "emoji": "a 🔴 circle 🎨✨",
           "cjk": "赤い円 青い背景", "rtl": "دائرة حمراء على خلفية زرقاء", "control": "a red\x00 circle\x07\x1b[31m"}


@pytest.mark.parametrize("name", PROMPTS)
def test_any_prompt_gives_an_image(name, tiny_bundle, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["generate", PROMPTS[name], "--model", str(tiny_bundle), "--seed", "2", "--out", str(out)]) == 0
    assert Image.open(out).size == (64, 64)
    err = capsys.readouterr().err
    if name == "long":
        assert "warning: the prompt is longer than CLIP's" in err
    if name in ("empty", "whitespace"):
        assert "warning: empty prompt" in err


NUMBERS = {
    "negative seed": (["--seed", "-1"], "seed"), "huge seed": (["--seed", str(2**40)], "seed"),
    "nan guidance": (["--decoder-guidance", "nan"], "guidance"), "inf guidance": (["--prior-guidance", "inf"], "guidance"),
    "negative guidance": (["--decoder-guidance", "-3"], "guidance"), "zero steps": (["--steps", "0,2,2"], "steps"),
    "absurd steps": (["--steps", "2,100000,2"], "steps"), "unknown size": (["--size", "100"], "size"),
    "zero count": (["--count", "0"], "count"), "bad steps text": (["--steps", "a,b,c"], "steps"),
}


@pytest.mark.parametrize("name", NUMBERS)
def test_bad_numbers_are_one_line_errors(name, tiny_bundle, tmp_path, capsys):
    extra, word = NUMBERS[name]
    assert main(["generate", "x", "--model", str(tiny_bundle), "--out", str(tmp_path / "x.png")] + extra) == 2
    assert word in one_line_error(capsys).lower()
    assert not (tmp_path / "x.png").exists()


def test_the_studio_answers_every_file_case(qtbot, tiny_bundle, tmp_path):
    from tests.studio.helpers import close_window, open_window
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    for kind, message in BAD.items():
        w.sources.image_dropped.emit(str(make(kind, tmp_path / "in")))
        assert w.status.text().startswith("⚠") and message in w.status.text(), (kind, w.status.text())
    w.settings.steps["decoder"].setValue(2)
    for kind in GOOD:
        w.sources.image_dropped.emit(str(make(kind, tmp_path / "in")))
    qtbot.waitUntil(lambda: w.gallery.count() == len(GOOD), timeout=120_000)
    close_window(w)


def test_the_studio_takes_any_prompt(qtbot, tiny_bundle, tmp_path):
    from tests.studio.helpers import close_window, open_window
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    w.settings.steps["decoder"].setValue(2)
    for prompt in PROMPTS.values():
        w.prompt.edit.setPlainText(prompt)
        w.generate()
    qtbot.waitUntil(lambda: w.gallery.count() == len(PROMPTS), timeout=120_000)
    assert all("\x00" not in r.prompt for r in w.state.results)
    close_window(w)


def test_too_few_eval_prompts_is_one_line_error(capsys):
    assert main(["eval", "--prompts", "1"]) == 2  # checked before the probe or the model loads
    assert "--prompts must be at least 4" in one_line_error(capsys)


def test_eval_on_a_missing_gpu_is_one_line_error(capsys):
    assert main(["eval", "--device", "cuda"]) == 2  # checked before the probe or the model loads
    assert "no CUDA GPU is visible" in one_line_error(capsys)

"""A bundle says what it knows: vocabulary.json, read by the unclip family, shipped by the default, left out of the
bundle's hash, and used by the CLI to warn about a prompt the model has no word of."""
import copy
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine import BundleError, load_bundle, save_bundle
from engine.cli import main
from engine.families import default_bundle_path, fingerprint
from engine.families.files import read_vocabulary, write_vocabulary
from engine.training import world
from engine.training.vocabulary import world_vocabulary
from engine.vocabulary import Vocabulary

DEFAULT_HASH = "a831f1113ec3"  # named by every saved PNG of the default, and by tests/data/replay's records
SMALL = {"words": ["circle", "star", "red", "blue", "left"],
         "groups": {"shape": ["circle", "star"], "colour": ["red", "blue"], "position": ["left"]}}


@pytest.fixture(scope="module")
def worded_bundle(tmp_path_factory, tiny_bundle):
    """The tiny bundle with a small vocabulary.json."""
    folder = shutil.copytree(tiny_bundle, tmp_path_factory.mktemp("worded") / "tiny")
    (folder / "vocabulary.json").write_text(json.dumps(SMALL))
    return folder


def test_known_splits_words_and_ignores_the_grammar():
    v = world_vocabulary()
    assert v.known("A yellow heart and a blue square, on the top-left of a CAT background") == (
        ("yellow", "heart", "blue", "square", "top", "left"), ("cat",))
    assert v.known("a picture of a large red star on the right of a dotted green and white background") == (
        ("large", "red", "star", "right", "dotted", "green", "white"), ())
    assert v.known("the of and with") == ((), ())
    assert v.known("a photo of a cat in a park") == ((), ("photo", "cat", "park"))
    marks = v.marks("Red cat")
    assert [(m.start, m.end, m.word, m.kind) for m in marks] == [(0, 3, "red", "known"), (4, 7, "cat", "unknown")]


def test_completion_groups_and_summary():
    v = world_vocabulary()
    assert v.complete("re") == ("red",)
    assert v.complete("TOP")[:3] == ("top", "top left", "top right")
    assert v.complete("backg") == ("background",)  # a grammar word completes, though it is ignored
    assert v.complete("") == ()
    assert v.group_of("left") == "position" and v.group_of("Cyan") == "colour" and v.group_of("cat") is None
    assert v.summary().startswith("shapes circle, square, triangle, star, heart, ring, cross, diamond; colours red, ")


def test_the_world_vocabulary_holds_every_caption_word():
    v = world_vocabulary()
    assert v.groups["shape"] == world.SHAPES and v.groups["colour"] == tuple(world.COLORS)
    assert v.groups["position"] == tuple(world.POSITIONS) and v.groups["background"] == ("gradient", "striped", "dotted")
    rng = np.random.default_rng(0)
    for _ in range(300):
        text = world.caption(world.sample_scene(rng), rng)
        known, unknown = v.known(text)
        assert known and not unknown, text


def test_round_trip_and_malformed_files():
    v = world_vocabulary()
    assert Vocabulary.from_dict(json.loads(json.dumps(v.to_dict()))) == v
    assert Vocabulary.from_dict({"groups": {"shape": ["circle"], "position": ["top left"]}}).words == (
        "circle", "top", "left")  # words default to the groups' tokens
    for bad in ({}, {"words": "circle"}, {"words": ["two words"]}, {"words": ["x"], "groups": []},
                {"words": ["x"], "grammar": [3]}):
        with pytest.raises(ValueError):
            Vocabulary.from_dict(bad)


def test_the_default_ships_the_worlds_vocabulary_and_keeps_its_hash():
    folder = default_bundle_path()
    assert read_vocabulary(folder) == world_vocabulary()  # regenerate: python main.py train vocabulary --out FOLDER
    assert fingerprint(folder) == DEFAULT_HASH


def test_the_vocabulary_changes_no_hash(tmp_path, tiny_bundle):
    folder = shutil.copytree(tiny_bundle, tmp_path / "b")
    before = fingerprint(folder)
    write_vocabulary(folder, world_vocabulary())
    assert fingerprint(folder) == before
    (folder / "vocabulary.json").write_text(json.dumps(SMALL))
    assert fingerprint(folder) == before


def test_the_unclip_family_reads_it_and_save_bundle_writes_it(tmp_path, tiny_bundle, worded_bundle):
    assert load_bundle(str(tiny_bundle)).vocabulary is None
    model = load_bundle(str(worded_bundle))
    assert model.vocabulary == Vocabulary.from_dict(SMALL)
    again = load_bundle(str(save_bundle(model, tmp_path / "again")))
    assert again.vocabulary == model.vocabulary
    broken = shutil.copytree(tiny_bundle, tmp_path / "broken")
    (broken / "vocabulary.json").write_text('{"words": "circle"}')
    with pytest.raises(BundleError, match=r"broken/vocabulary.json: 'words' is not a list"):
        load_bundle(str(broken))


def test_karlo_has_no_vocabulary(karlo):
    assert load_bundle(str(karlo["t2i_dir"])).vocabulary is None


def test_the_cli_warns_once_when_the_prompt_has_none_of_the_models_words(worded_bundle, tiny_bundle, tmp_path,
                                                                          capsys):
    fast = ["--size", "16", "--steps", "2,2,2", "--seed", "1"]
    assert main(["generate", "a cat in a park", "--model", str(worded_bundle), *fast,
                 "--out", str(tmp_path / "a.png")]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: none of these words are in the model's vocabulary (cat, park); it knows: "
                     "shapes circle, star; colours red, blue; positions left") == 1
    assert (tmp_path / "a.png").is_file()  # a warning, not an error
    for prompt, bundle in (("a red cat", worded_bundle), ("a cat in a park", tiny_bundle), ("", worded_bundle)):
        assert main(["generate", prompt, "--model", str(bundle), *fast, "--out", str(tmp_path / "b.png")]) == 0
        assert "vocabulary" not in capsys.readouterr().err, prompt


def test_train_vocabulary_and_export_write_the_file(tmp_path, tiny_model, monkeypatch):
    from engine.training import command
    assert main(["train", "vocabulary", "--out", str(tmp_path / "v")]) == 0
    assert read_vocabulary(tmp_path / "v") == world_vocabulary()
    monkeypatch.setattr(command, "trained_model", lambda run_dir, init, recipe: copy.copy(tiny_model))
    out = command.export(tmp_path / "run", tmp_path / "exported", init="tiny")
    assert read_vocabulary(Path(out)) == world_vocabulary() and tiny_model.vocabulary is None

"""Weights cannot run code, metadata is data, and nothing reaches the network at run time."""
import json
import pickle
import socket

import pytest
import torch
from PIL import Image, PngImagePlugin

from engine import BundleError, TextToImage, UserError, load_bundle, run
from engine.record import read_png as read_png_metadata


class Payload:
    """Unpickling this runs code: the attack a weights file can carry."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_crafted_pickle_in_a_model_folder_does_not_run(tiny_bundle, tmp_path):
    import shutil
    folder = tmp_path / "evil"
    shutil.copytree(tiny_bundle, folder)
    marker = tmp_path / "pwned"
    weights = sorted((folder / "decoder").glob("*.safetensors"))
    for w in weights:
        w.unlink()
    with open(folder / "decoder" / "model.bin", "wb") as f:
        pickle.dump({"weight": Payload(marker)}, f)
    with pytest.raises((BundleError, UserError)):
        load_bundle(str(folder))
    assert not marker.exists()


def test_metadata_is_parsed_never_evaluated(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("unclip", '__import__("os").system("touch PWNED")')
    Image.new("RGB", (4, 4)).save(tmp_path / "x.png", pnginfo=info)
    with pytest.raises(UserError, match="damaged settings"):
        read_png_metadata(tmp_path / "x.png")
    info = PngImagePlugin.PngInfo()
    info.add_text("unclip", json.dumps({"kind": "text2image", "prompt": "${HOME}"}))
    Image.new("RGB", (4, 4)).save(tmp_path / "y.png", pnginfo=info)
    assert read_png_metadata(tmp_path / "y.png")["prompt"] == "${HOME}"


def test_no_network_at_run_time(tiny_bundle, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    model = load_bundle(str(tiny_bundle))
    assert run(model, TextToImage("offline", (1,)))[0].image.shape[-1] == 3
    default = load_bundle("default")
    assert default.config.name


def test_torch_load_refuses_arbitrary_objects(tmp_path):
    path = tmp_path / "w.pt"
    with open(path, "wb") as f:
        pickle.dump(Payload(tmp_path / "m"), f)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
    assert not (tmp_path / "m").exists()

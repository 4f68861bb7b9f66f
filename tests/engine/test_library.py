"""The image library: atomic saves, a rebuildable index, trash with undo, names that stay inside."""
import numpy as np
import pytest

from engine import UserError
from engine.library import Library

META = {"kind": "text2image", "seed": 5, "prompt": "p", "size": [8, 8], "engine_version": "0",
        "model": {"hash": "h", "name": "m"},
        "settings": {"decoder_steps": 2, "sampler": "ddpm", "decoder_guidance": 1.0, "prior_steps": 2,
                     "prior_guidance": 1.0, "upsampler_steps": 2}}


def image():
    return np.zeros((8, 8, 3), np.uint8)


def test_saves_get_unique_names_and_come_back_in_order(tmp_path):
    lib = Library(tmp_path)
    paths = [lib.save(image(), META) for _ in range(3)]
    assert [p.name for p in paths] == ["text2image-5.png", "text2image-5-1.png", "text2image-5-2.png"]
    assert [e.name for e in Library(tmp_path).entries()] == [p.name for p in paths]
    assert not list(tmp_path.glob("*.tmp"))


def test_a_damaged_index_is_rebuilt_from_the_pngs(tmp_path):
    lib = Library(tmp_path)
    a, b = lib.save(image(), META), lib.save(image(), META)
    lib.set_favourite(a.name, True)
    (tmp_path / "index.json").write_text("{not json")
    again = Library(tmp_path)
    assert again.rebuilt and {e.name for e in again.entries()} == {a.name, b.name}
    assert not any(e.favourite for e in again.entries())  # favourites lived only in the index


def test_delete_undo_and_trash(tmp_path):
    lib = Library(tmp_path)
    a = lib.save(image(), META)
    lib.delete(a.name)
    assert lib.entries() == [] and (tmp_path / ".trash" / a.name).exists()
    lib.undo_delete(a.name)
    assert [e.name for e in lib.entries()] == [a.name]
    lib.delete(a.name)
    assert lib.empty_trash() == 1 and not (tmp_path / ".trash" / a.name).exists()


@pytest.mark.parametrize("name", ["../evil.png", "/etc/passwd", ".trash", "sub/x.png", "x.txt", ""])
def test_names_never_leave_the_folder(tmp_path, name):
    with pytest.raises(UserError, match="not a library image name"):
        Library(tmp_path).path(name)


def test_metadata_cannot_steer_the_file_name(tmp_path):
    path = Library(tmp_path).save(image(), {**META, "kind": "../../x", "seed": "../1"})
    assert path.parent == tmp_path and path.name == "x-0.png"


def test_export_to_a_missing_folder_is_one_clear_error(tmp_path):
    lib = Library(tmp_path / "lib")
    a = lib.save(image(), META)
    with pytest.raises(UserError, match="could not export"):
        lib.export(a.name, tmp_path / "nope" / "out.png")

"""The model list: the families the engine loads from the local Hugging Face cache, Kandinsky 2.2 among them, and
a switch to one that offers its own sizes and hides the upscaling controls it has no use for."""
import pytest

from tests.studio.helpers import close_window, generate_one, open_window

pytest.importorskip("diffusers")  # the tiny Kandinsky pair is built with the reference's own classes
from tests.engine.kandinsky_reference import fake_cache, kandinsky  # noqa: E402,F401 (the fixture)

DECODER, PRIOR = "kandinsky-community/kandinsky-2-2-decoder", "kandinsky-community/kandinsky-2-2-prior"


def sizes(window):
    return [window.settings.size.itemData(i) for i in range(window.settings.size.count())]


def test_kandinsky_is_in_the_model_list_and_a_switch_offers_its_sizes(qtbot, tiny_bundle, kandinsky,  # noqa: F811
                                                                       tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(fake_cache(tmp_path, {DECODER: kandinsky["decoder_dir"],
                                                            PRIOR: kandinsky["prior_dir"]})))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    w.show()
    try:
        qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
        panel, upscale = w.settings, w.settings.steps["upsampler"]
        items = [w.model_combo.itemText(i) for i in range(w.model_combo.count())]
        assert DECODER in items and PRIOR not in items  # the prior is found beside its decoder, not listed alone
        assert sizes(w) == [16, 32, 64] and upscale.isVisibleTo(w) and panel.edges.isVisibleTo(w)
        w.model_combo.setCurrentIndex(items.index(DECODER))
        w.model_combo.activated.emit(items.index(DECODER))  # as a click on the list does
        qtbot.waitUntil(lambda: w.state.model_status == "ready" and w.state.model_spec == DECODER, timeout=60_000)
        assert sizes(w) == [16, 20, 24, 28, 32] and panel.size.currentData() == 16  # the MoVQ's multiples
        assert not upscale.isVisibleTo(w) and not panel.edges.isVisibleTo(w)  # no upsampler: no upscale controls
        assert panel.form.labelForField(upscale) is None or not panel.form.labelForField(upscale).isVisibleTo(w)
        panel.steps["decoder"].setValue(2)
        panel.size.setCurrentIndex(1)
        generate_one(w, qtbot, prompt="a red circle", seed=4)
        made = w.state.results[-1]
        assert made.image().shape == (20, 20, 3) and made.metadata["model"]["name"] == "kandinsky-2-2"
        w.load_model(str(tiny_bundle))  # and back: the upscale controls return with the upsamplers
        qtbot.waitUntil(lambda: w.state.model_status == "ready" and w.state.model_spec == str(tiny_bundle),
                        timeout=60_000)
        assert sizes(w) == [16, 32, 64] and upscale.isVisibleTo(w) and panel.edges.isVisibleTo(w)
    finally:
        close_window(w)


def test_a_shipped_bundle_in_the_list_says_what_it_is(qtbot, tiny_bundle, tiny_model, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    from engine.families import save_bundle
    from engine.families.unclip import layout
    monkeypatch.setattr(layout, "RESOURCES", tmp_path / "models")
    for name, title in (("shapes", "tiny-v0 — the embedded default"), ("everyday", "tiny-v1 — in training")):
        save_bundle(tiny_model, tmp_path / "models" / name)
        (tmp_path / "models" / name / "README.md").write_text(f"# {title}\n")
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    try:
        items = [w.model_combo.itemText(i) for i in range(w.model_combo.count())]
        assert items[:2] == ["default", "everyday"] and "shapes" not in items  # the default once, by its role
        tips = [w.model_combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(2)]
        assert tips == ["tiny-v0 — the embedded default", "tiny-v1 — in training"]
    finally:
        close_window(w)

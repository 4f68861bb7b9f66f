"""The settings panel, the prompt history and the engine menu in the real window."""
from PySide6.QtCore import Qt

from engine.cpu import default_dtype
from tests.studio.helpers import close_window, generate_one, open_window


def test_controls_start_at_the_bundle_defaults(window):
    c = window.worker.model.config
    assert window.settings.decoder_guidance.value == c.decoder.guidance
    assert window.settings.layout_guidance.value == c.decoder.guidance
    assert window.settings.prior_guidance.value == c.prior.guidance
    assert window.settings.steps["decoder"].value() == c.decoder.steps


def test_layout_guidance_follows_the_decoder_until_set_apart(window):
    panel = window.settings
    panel.decoder_guidance.slider.setValue(60)
    assert panel.layout_guidance.value == 6.0
    panel.layout_guidance.set_value(0.25)  # the freer variations' setting is reachable
    panel.decoder_guidance.slider.setValue(70)
    assert panel.layout_guidance.value == 0.25 and panel.settings().layout_guidance == 0.25
    panel.apply({"settings": {"decoder_guidance": 3.0}})  # saved before layout guidance existed
    assert panel.layout_guidance.value == 3.0
    panel.apply({"settings": {"decoder_guidance": 4.0, "layout_guidance": 1.5, "decoder_candidates": 2}})
    assert (panel.decoder_guidance.value, panel.layout_guidance.value) == (4.0, 1.5)
    assert panel.settings().decoder_candidates == 2
    assert panel.accept.value() == 1.0 and panel.accept.isEnabled()  # saved before accept existed: closest of all
    panel.apply({"settings": {"decoder_candidates": 3, "accept_cosine": 0.99}})
    assert panel.settings().accept_cosine == 0.99 and panel.settings().decoder_candidates == 3
    panel.candidates.setValue(1)
    assert not panel.accept.isEnabled()


def test_free_layout_button_applies_the_preset_and_shows_whether_it_holds(window, qtbot):
    panel = window.settings
    panel.accept.setValue(1.0)
    qtbot.mouseClick(panel.free_layout, Qt.MouseButton.LeftButton)
    s = panel.settings()
    assert (s.layout_guidance, s.decoder_candidates) == (0.25, 6) and panel.free_layout.isChecked()
    assert s.accept_cosine == window.worker.model.config.decoder.accept_cosine  # the model's threshold
    panel.decoder_guidance.slider.setValue(50)  # the layout no longer follows the decoder while free
    assert panel.settings().layout_guidance == 0.25
    panel.candidates.setValue(3)  # set by hand away from the preset: the button comes up
    assert not panel.free_layout.isChecked()
    panel.candidates.setValue(6)
    assert panel.free_layout.isChecked()
    qtbot.mouseClick(panel.free_layout, Qt.MouseButton.LeftButton)  # off: the paper's variations
    s = panel.settings()
    assert (s.layout_guidance, s.decoder_candidates) == (5.0, 1) and not panel.free_layout.isChecked()
    panel.decoder_guidance.slider.setValue(40)
    assert panel.settings().layout_guidance == 4.0  # following again
    panel.apply({"settings": {"layout_guidance": 0.25, "decoder_candidates": 6, "accept_cosine": 0.99}})
    assert panel.free_layout.isChecked()  # a saved image made with the preset shows it


def test_upsampler_steps_auto_round_trips(window, qtbot):
    ups = window.settings.steps["upsampler"]
    assert ups.value() == 0 and ups.text() == "auto" and window.settings.settings().upsampler_steps is None
    ups.setValue(2)
    assert window.settings.settings().upsampler_steps == 2
    window.settings.apply({"settings": {"upsampler_steps": None}})
    assert ups.text() == "auto"
    window.settings.apply({"settings": {"upsampler_steps": 3}})  # records made before auto: one number for all
    assert window.settings.settings().upsampler_steps == 3


def test_layout_prompt_and_controls_persist(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    w.prompt.edit.setPlainText("kept across restarts")
    w.settings.seed.setValue(4242)
    w.settings.seed_lock.setChecked(True)
    w.settings.sampler.setCurrentText("ddim")
    close_window(w)
    w2 = open_window(qtbot, str(tiny_bundle), tmp_path)
    assert w2.prompt.prompt == "kept across restarts"
    assert w2.settings.seed.value() == 4242 and w2.settings.seed_lock.isChecked()
    assert w2.settings.sampler.currentText() == "ddim"
    close_window(w2)


def test_prompt_history_keeps_the_latest_first_once_and_reads_damage_as_none():
    from studio.panels.prompt import remember, saved_history
    h = remember(remember(remember([], "a red circle"), "  "), "a blue star ")
    assert h == ["a blue star", "a red circle"] and remember(h, "a red circle") == ["a red circle", "a blue star"]
    assert remember([str(i) for i in range(50)], "new")[-1] == "48"  # at most 50
    assert saved_history('["a", 3, " ", "b"]') == ["a", "b"]
    assert saved_history("{broken") == saved_history('{"a": 1}') == saved_history(None) == []


def test_prompt_history_steps_back_and_forth_and_comes_back_after_a_restart(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    w.show()
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    w.settings.steps["decoder"].setValue(2)
    for prompt in ("a red circle", "a blue star"):
        generate_one(w, qtbot, prompt)
    p = w.prompt
    p.edit.setPlainText("a half-typed gre")
    p.edit.setFocus()
    qtbot.keyClick(p.edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert p.prompt == "a blue star"
    p.step_history(+1)
    assert p.prompt == "a red circle"
    p.step_history(+1)  # the oldest stays
    assert p.prompt == "a red circle"
    p.step_history(-1)
    p.step_history(-1)  # past the newest: the draft comes back
    assert p.prompt == "a half-typed gre"
    p._fill_menu()
    p.recent.menu().actions()[1].trigger()
    assert p.prompt == "a red circle"
    close_window(w)
    w2 = open_window(qtbot, str(tiny_bundle), tmp_path)
    assert w2.prompt.history == ["a blue star", "a red circle"]
    close_window(w2)


def test_status_bar_and_precision_switch(window, qtbot):
    start = str(default_dtype("cpu")).removeprefix("torch.")  # this CPU's fastest: bfloat16 where native
    other = "float32" if start == "bfloat16" else "bfloat16"
    assert window.status_bar.device.text() == f"cpu · {start}"
    assert window.status_bar.memory.text().startswith("RAM ")
    window.set_engine(dtype=other)
    qtbot.waitUntil(lambda: window.status_bar.device.text() == f"cpu · {other}", timeout=30_000)
    generate_one(window, qtbot)
    assert window.state.results[-1].metadata["dtype"] == other
    tips = {a.text(): a.statusTip() for a in window.precision_menu.actions()}
    assert ("natively" in tips["bfloat16"]) == (start == "bfloat16") and "CUDA" in tips["float16"]
    assert "ms/step" in window.status_bar.timing.text() and " px: " in window.status_bar.timing.text()


def test_restoring_reads_the_record_through_its_migration_and_refuses_damage(window):
    panel = window.settings
    old = {"kind": "text2image", "prompt": "old", "seed": 5,  # schema 1: before layout guidance and accept cosine
           "settings": {"decoder_guidance": 2.0, "decoder_candidates": 3, "sampler": "ddim"}}
    window.restore(old)
    assert (panel.layout_guidance.value, panel.candidates.value(), panel.accept.value()) == (2.0, 3, 1.0)
    assert panel.sampler.currentText() == "ddim" and window.prompt.prompt == "old" and panel.seed.value() == 5
    window.prompt.edit.setPlainText("kept")
    window.restore({"kind": "text2image", "prompt": "bad", "seed": 9, "settings": {"decoder_guidance": "loud"}})
    assert window.status.text().startswith("⚠ the image's settings: decoder guidance must be a number")
    assert window.prompt.prompt == "kept" and panel.seed.value() == 5 and panel.decoder_guidance.value == 2.0


def test_the_default_bundles_1024_px_says_it_adds_grain_not_detail(qtbot):
    """The Size list labels the embedded default's 1024 px stage honestly (bench/edges.py measured it against a
    plain 4x resize of the 256 px image); another bundle's 1024 px is only its size."""
    from engine.families import default_bundle_path, read_json
    from engine.families.unclip.load import bundle_config
    from engine.tiny import tiny_config
    from studio.panels.settings import SettingsPanel
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    folder = default_bundle_path()
    panel.set_model(bundle_config(folder, read_json(folder / "model_index.json")))
    texts = [panel.size.itemText(i) for i in range(panel.size.count())]
    assert texts == ["64 px", "256 px", "1024 px · upsampler pass: adds grain, not detail"]
    assert panel.size.currentData() == 256 and "grain" not in panel.size.toolTip()
    panel.size.setCurrentIndex(2)
    tip = panel.size.toolTip()
    assert panel.settings().size == 1024 and "speckle 95.8 (resize 2.2)" in tip and "28.5 (resize 5.9)" in tip
    panel.note_time(1024, 80.0)  # the time taken joins the note, and finds its item by size
    assert "adds grain, not detail" in panel.size.toolTip() and panel.size.toolTip().endswith(
        "1024 px: 80.0 s an image, last time on this machine")
    panel.apply({"settings": {}, "size": [256, 256]})
    assert panel.size.currentData() == 256
    panel.set_model(tiny_config(upsampler_sizes=(256, 1024)))  # another bundle with a 1024 px stage
    assert [panel.size.itemText(i) for i in range(panel.size.count())] == ["16 px", "256 px", "1024 px"]
    panel.size.setCurrentIndex(2)
    assert "grain" not in panel.size.toolTip()


def test_the_sampler_list_is_the_engines_and_each_reaches_the_job(window, qtbot):
    from engine.limits import SAMPLER_NAMES
    panel = window.settings
    assert [panel.sampler.itemText(i) for i in range(panel.sampler.count())] == list(SAMPLER_NAMES)
    assert {"dpm++2m", "unipc"} <= set(SAMPLER_NAMES)
    for name in SAMPLER_NAMES:
        panel.sampler.setCurrentText(name)
        assert panel.settings().sampler == name and name in panel.sampler.toolTip()
    generate_one(window, qtbot, prompt="a red circle", seed=3)
    assert window.state.results[-1].metadata["settings"]["sampler"] == "unipc"


def test_restoring_an_images_settings_restores_its_edge_padding(window, qtbot):
    panel = window.settings
    assert panel.edges.currentText() == "model's own" and panel.settings().upsampler_padding is None
    assert panel.edges.isVisibleTo(window)  # the tiny bundle has upsamplers
    window.restore({"kind": "text2image", "prompt": "old", "seed": 5, "schema": 2,  # before mirroring: bare image
                    "settings": {"decoder_steps": 2, "sampler": "ddpm"}})
    assert panel.edges.currentText() == "as they are" and panel.settings().upsampler_padding == "zero"
    generate_one(window, qtbot, prompt="old", seed=5)
    assert window.state.results[-1].metadata["settings"]["upsampler_padding"] == "zero"  # it makes it again
    window.restore({"kind": "text2image", "prompt": "new", "seed": 6, "schema": 3,
                    "settings": {"upsampler_padding": "reflect"}})
    assert panel.edges.currentText() == "mirrored" and panel.settings().upsampler_padding == "reflect"
    window.restore({"kind": "text2image", "prompt": "job", "seed": 7, "schema": 3, "settings": {}})  # a job line
    assert panel.settings().upsampler_padding == "reflect"  # not given: left as it was
    window.restore({"kind": "text2image", "prompt": "own", "seed": 8, "schema": 3,
                    "settings": {"upsampler_padding": None}})
    assert panel.edges.currentText() == "model's own" and panel.settings().upsampler_padding is None


def test_restoring_an_image_keeps_the_steps_each_upsampler_ran(window, qtbot):
    """A record of before the bundle's defaults changed (its upsamplers ran 3 and 2 steps) makes the same image again
    while U stays "auto"; loading a model again goes back to the model's own steps."""
    panel = window.settings
    assert panel.settings().upsampler_plan is None
    window.restore({"kind": "text2image", "prompt": "old", "seed": 5, "schema": 3, "upsampler_steps": [3, 2],
                    "settings": {"decoder_steps": 2, "sampler": "ddpm", "upsampler_steps": None}})
    assert panel.steps["upsampler"].value() == 0 and panel.settings().upsampler_plan == (3, 2)
    generate_one(window, qtbot, prompt="old", seed=5)
    assert window.state.results[-1].metadata["upsampler_steps"][:1] == [3]
    panel.set_model(window.state.model.config)
    assert panel.settings().upsampler_plan is None

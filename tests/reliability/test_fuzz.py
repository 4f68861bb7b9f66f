"""Fuzzing (hypothesis): the PNG metadata reader, prompt handling and request validation only ever answer
with a value or a UserError."""
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from engine import Settings, TextToImage, UserError
from engine.record import read_png as read_png_metadata
from engine.requests import clean_prompt

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
                 st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=20),
                              lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=4)).map(repr)))
def test_metadata_reader_never_crashes(tmp_path_factory, chunk):
    path = tmp_path_factory.mktemp("fuzz") / "x.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("unclip", chunk)
    Image.new("RGB", (2, 2)).save(path, pnginfo=info)
    try:
        assert isinstance(read_png_metadata(path), dict)
    except UserError:
        pass


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_as_png_never_crash_the_reader(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "x.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + data)
    try:
        read_png_metadata(path)
    except UserError:
        pass


@FAST
@given(st.text(max_size=2000))
def test_any_prompt_is_cleaned_or_refused(prompt):
    cleaned = clean_prompt(prompt)
    assert "\x00" not in cleaned and all(ch.isprintable() or ch in " \n\t" for ch in cleaned)
    try:
        TextToImage(prompt, (0,))
    except UserError:
        pass


number = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                   st.booleans(), st.text(max_size=5))


@FAST
@given(number, number, number, number, number, st.text(max_size=6), number)
def test_settings_validate_everything(p_steps, d_steps, u_steps, p_guid, d_guid, sampler, eta):
    try:
        s = Settings(prior_steps=p_steps, decoder_steps=d_steps, upsampler_steps=u_steps, prior_guidance=p_guid,
                     decoder_guidance=d_guid, sampler=sampler, eta=eta)
    except UserError:
        return
    for v in (s.prior_guidance, s.decoder_guidance, s.eta):
        assert v is None or (math.isfinite(v) and 0 <= v <= 100)
    for v in (s.prior_steps, s.decoder_steps, s.upsampler_steps):
        assert v is None or (isinstance(v, int) and 1 <= v <= 1000)


@FAST
@given(st.lists(st.one_of(st.integers(-5, 2**33), st.floats(), st.text(max_size=3)), max_size=4))
def test_seeds_validate(seeds):
    try:
        r = TextToImage("x", tuple(seeds))
    except UserError:
        return
    assert r.seeds and all(isinstance(s, int) and 0 <= s < 2**32 for s in r.seeds)

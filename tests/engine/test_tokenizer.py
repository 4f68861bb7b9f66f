"""The trimmed BPE file in resources/clip tokenizes exactly as open_clip's full file."""
from open_clip.tokenizer import SimpleTokenizer

from engine.stages.embed import BPE


def test_the_trimmed_merges_give_open_clips_vocabulary_and_ranks():
    trimmed, full = SimpleTokenizer(str(BPE)), SimpleTokenizer()
    assert trimmed.encoder == full.encoder and trimmed.bpe_ranks == full.bpe_ranks
    text = "A café on the LEFT, naïve 🐱 emoji & numbers 1234 — antidisestablishmentarianism"
    assert trimmed.encode(text) == full.encode(text) and len(full.encode(text)) > 20

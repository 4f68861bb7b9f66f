"""The embedded default's vocabulary.json, read from the world: its words by group and its caption grammar."""
from __future__ import annotations

import re

from ..vocabulary import STOP_WORDS, Vocabulary
from . import world
from .card import templates


def world_vocabulary(things: tuple[str, ...] | None = None) -> Vocabulary:
    """Every word `world.caption` can write, by group (`things`: the everyday world's nouns, a group of their own);
    the grammar's other words ("picture", "background") and English stop words are ignored. Backgrounds are named
    by the words captions use for them (a solid one is "a ⟨colour⟩ background", which names no kind)."""
    forms = templates()

    def literal(text: str) -> list[str]:
        return re.findall(r"[a-z]+", re.sub(r"⟨[^⟩]*⟩", " ", text))

    kinds = [w for phrase in forms["background"] for w in literal(phrase)
             if w not in STOP_WORDS and w != "background"]
    groups = {"shape": list(world.SHAPES), "colour": list(world.COLORS), "size": list(world.SIZES),
              "position": list(world.POSITIONS), "background": list(dict.fromkeys(kinds)),
              **({"thing": list(things)} if things else {})}
    grammar = forms["one"] + forms["two"] + forms["three"]
    words = list(dict.fromkeys(w for items in groups.values() for item in items for w in item.split()))
    grammar_words = {w for text in grammar + forms["background"] for w in literal(text)}
    return Vocabulary.from_dict({"words": words, "groups": groups,
                                 "ignored": sorted((STOP_WORDS | grammar_words) - set(words)),
                                 "grammar": grammar, "phrases": {"⟨background⟩": forms["background"]}})

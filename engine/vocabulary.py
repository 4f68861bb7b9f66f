"""What a model's captions were made of: its words by group, the words it ignores, its caption templates.

A bundle may carry one as `vocabulary.json` (the embedded default ships the world's; Karlo's and other families'
bundles have none, and their models' `vocabulary` is None):

    {"words": ["circle", …],                                  every content word, one token each
     "groups": {"shape": […], "colour": […], "size": […],     the words (or phrases: "top left") by what they name
                "position": […], "background": […]},
     "ignored": ["a", "an", "the", "on", …],                  grammar and stop words: neither known nor unknown
     "grammar": ["a ⟨size⟩ ⟨colour⟩ ⟨shape⟩ on ⟨background⟩", …],  caption templates; ⟨group⟩ or ⟨group N⟩ slots
     "phrases": {"⟨background⟩": ["a ⟨colour A⟩ background", …]}}  what a composite slot expands to

Words are matched lower-case, letters only ("Top-left." → "top", "left"). Pure Python: the studio's prompt box
calls `marks` and `complete` on each keystroke.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

FILE = "vocabulary.json"  # the file name in a bundle folder
# English function words a prompt may hold that no caption needs; a bundle's own grammar words are added to them
STOP_WORDS = frozenset("a an the on and of with in at to is are be some there this that its it".split())
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Mark:
    """One word of a prompt: where it stands (`start`, `end`: str indices), and whether the model knows it."""

    start: int
    end: int
    word: str  # lower-case
    kind: str  # "known", "unknown" or "ignored"


@dataclass(frozen=True)
class Vocabulary:
    """A model's words (`known`, `marks`, `complete`); read from a bundle's vocabulary.json by its family."""

    words: tuple[str, ...]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    ignored: frozenset[str] = STOP_WORDS
    grammar: tuple[str, ...] = ()
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    @classmethod
    def from_dict(cls, data: Mapping) -> "Vocabulary":
        """From vocabulary.json's object; ValueError on a malformed one. `words` defaults to the groups' tokens."""
        groups = {str(k): _strings(v, f"groups.{k}") for k, v in _mapping(data.get("groups", {}), "groups").items()}
        words = tuple(w.lower() for w in _strings(data["words"], "words")) if "words" in data \
            else _tokens(p for v in groups.values() for p in v)
        if not words or not all(_WORD.fullmatch(w) for w in words):
            raise ValueError("'words' must be one or more single words of letters")
        ignored = frozenset(w.lower() for w in _strings(data["ignored"], "ignored")) if "ignored" in data \
            else STOP_WORDS
        return cls(words=words, groups=groups, ignored=ignored - set(words),
                   grammar=_strings(data.get("grammar", []), "grammar"),
                   phrases={str(k): _strings(v, f"phrases.{k}")
                            for k, v in _mapping(data.get("phrases", {}), "phrases").items()})

    def to_dict(self) -> dict:
        """The vocabulary.json object (`from_dict` reads it back equal)."""
        return {"words": list(self.words), "groups": {k: list(v) for k, v in self.groups.items()},
                "ignored": sorted(self.ignored), "grammar": list(self.grammar),
                "phrases": {k: list(v) for k, v in self.phrases.items()}}

    def marks(self, prompt: str) -> tuple[Mark, ...]:
        """Every word of the prompt, in order, marked known, unknown or ignored (a stop or grammar word)."""
        words = set(self.words)
        return tuple(Mark(m.start(), m.end(), m.group(), "known" if m.group() in words else
                          "ignored" if m.group() in self.ignored else "unknown")
                     for m in _WORD.finditer(prompt.lower()))

    def known(self, prompt: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(known words, unknown words) of the prompt, each once in order of first use; stop words in neither."""
        marks = self.marks(prompt)
        return (tuple(dict.fromkeys(m.word for m in marks if m.kind == "known")),
                tuple(dict.fromkeys(m.word for m in marks if m.kind == "unknown")))

    def group_of(self, word: str) -> str | None:
        """The first group whose words or phrases hold `word` ("left" → "position"), or None."""
        word = word.lower()
        return next((g for g, items in self.groups.items() if any(word in item.split() for item in items)), None)

    def complete(self, prefix: str, limit: int = 10) -> tuple[str, ...]:
        """Words and phrases that start with `prefix` (case-insensitive; the last word of a prompt), the group's
        order first ("re" → "red"; "top" → "top", "top left", "top right"); grammar words after them."""
        prefix = prefix.lower()
        if not prefix:
            return ()
        items = [p for v in self.groups.values() for p in v] + list(self.words) + sorted(self._grammar_words())
        return tuple(w for w in dict.fromkeys(items) if w.startswith(prefix))[:limit]

    def summary(self) -> str:
        """The groups in one line: "shapes circle, square; colours red, blue; …" (the words alone if none)."""
        if not self.groups:
            return ", ".join(self.words)
        return "; ".join(f"{name}s {', '.join(items)}" for name, items in self.groups.items())

    def _grammar_words(self) -> set[str]:
        """The literal words of the templates and phrases ("picture", "background", "striped"), slots left out."""
        text = " ".join([*self.grammar, *(p for v in self.phrases.values() for p in v)])
        return set(_WORD.findall(re.sub(r"⟨[^⟩]*⟩", " ", text).lower()))


def _mapping(value, name: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise ValueError(f"'{name}' is not an object")
    return value


def _strings(value, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"'{name}' is not a list of words")
    return tuple(value)


def _tokens(phrases: Iterable[str]) -> tuple[str, ...]:
    """The distinct words of phrases, in order."""
    return tuple(dict.fromkeys(w for p in phrases for w in _WORD.findall(p.lower())))

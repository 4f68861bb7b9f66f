"""Write bpe-merges.txt.gz: the part of open_clip's BPE file (bpe_simple_vocab_16e6.txt.gz) that its tokenizer reads.

    python resources/clip/make_bpe.py

open_clip's SimpleTokenizer keeps the header line and the first 48,894 merges of 262,145 (vocabulary 49,408). Reading
the whole file is one 23 ms hold of Python's lock on the thread that loads a model, which stalls the studio's window;
the trimmed file gives the same vocabulary and merge ranks (tests/engine/test_tokenizer.py) and reads in a fifth of
the time. Written with a zero gzip timestamp, so running this again gives the same bytes.
"""
import gzip
from pathlib import Path

from open_clip.tokenizer import default_bpe

MERGES = 49152 - 256 - 2  # the merges SimpleTokenizer reads
OUT = Path(__file__).resolve().parent / "bpe-merges.txt.gz"


def main() -> None:
    lines = gzip.open(default_bpe()).read().decode("utf-8").split("\n")
    text = "\n".join(lines[: 1 + MERGES]).encode("utf-8")
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(text)
    print(f"{OUT}: {len(lines) - 1} merges → {MERGES}, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()

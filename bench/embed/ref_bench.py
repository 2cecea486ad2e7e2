#!/usr/bin/env python3
"""ref_bench.py - the reference PyTorch (sentence-transformers) timings that
bench/embed/run.sh prints beside the C encoder's: abstracts/s at batch 1, 8
and 32 on the same texts, and the latency of the same query. Wall time and
process CPU time (time.process_time, all threads) like the C bench.

  python ref_bench.py MODEL_DIR TEXTS_FILE N
"""
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def main():
    model_dir, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cpus = os.cpu_count() or 1
    torch.set_num_threads(cpus)
    texts = [l.rstrip("\n") for l in open(path, encoding="utf-8") if l.strip()][:n]
    model = SentenceTransformer(model_dir, device="cpu")
    print("reference: torch %s, %d threads, %d texts, max_seq_length %d"
          % (torch.__version__, torch.get_num_threads(), len(texts), model.max_seq_length))
    with torch.inference_mode():
        for b in (1, 8, 32):
            model.encode(texts[:b], batch_size=b)  # warm-up
            t0, c0 = time.perf_counter(), time.process_time()
            model.encode(texts, batch_size=b)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            print("torch batch=%-2d abstracts/s=%7.2f | CPU-ms/abstract=%6.1f"
                  % (b, len(texts) / dt, dc * 1e3 / len(texts)))
        q = "graph neural networks for protein structure prediction tasks"
        ntok = len(model.tokenizer(q)["input_ids"])
        ts, cs = [], []
        for _ in range(41):
            t0, c0 = time.perf_counter(), time.process_time()
            model.encode([q], batch_size=1)
            ts.append(time.perf_counter() - t0)
            cs.append(time.process_time() - c0)
        print("torch query latency (%d tokens): %.2f ms (CPU %.2f ms)"
              % (ntok, statistics.median(ts) * 1e3, statistics.median(cs) * 1e3))
        # One thread as well: on a loaded machine OpenMP's spinning threads
        # can cost more than they bring.
        torch.set_num_threads(1)
        t0, c0 = time.perf_counter(), time.process_time()
        model.encode(texts, batch_size=32)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print("torch-1thread batch=32 abstracts/s=%7.2f | CPU-ms/abstract=%6.1f"
              % (len(texts) / dt, dc * 1e3 / len(texts)))
        ts = []
        for _ in range(21):
            t0 = time.perf_counter()
            model.encode([q], batch_size=1)
            ts.append(time.perf_counter() - t0)
        print("torch-1thread query latency (%d tokens): %.2f ms" % (ntok, statistics.median(ts) * 1e3))


if __name__ == "__main__":
    main()

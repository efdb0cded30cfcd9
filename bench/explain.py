"""Time occlusion explanations against N + 1 plain predictions (docs/explain.md).

    python3 bench/explain.py BUNDLE [--data ../shared/data/imdb/test.csv] [--reviews 5]

Picks IMDB test reviews of 225-235 whitespace-separated words and prints, per review, the best
of --repeats runs of model.explain(text, threads=t) and of model.predict_proba([text] * (N + 1),
threads=t) for t = 1 and 2. Uses the binding in bindings/python and the library it finds.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Callable, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bindings" / "python"))
import textrnn  # noqa: E402


def best_of(function: Callable[[], object], repeats: int) -> float:
    """Shortest wall time of `repeats` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def reviews(path: Path, count: int) -> List[str]:
    csv.field_size_limit(1 << 30)
    with open(path, newline="", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f) if 225 <= len(row["text"].split()) <= 235]
    return texts[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "imdb" / "test.csv"))
    parser.add_argument("--reviews", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    model = textrnn.load(args.bundle)
    for text in reviews(Path(args.data), args.reviews):
        words = model.explain(text)
        n = len(words)
        ids = model.tokenize(text)
        row = [f"words {n} (seen {sum(w.seen for w in words)}, oov {ids.count(1)}, steps {len(ids)})"]
        for threads in (1, 2):
            plain = best_of(lambda: model.predict_proba([text] * (n + 1), threads=threads), args.repeats)
            explained = best_of(lambda: model.explain(text, threads=threads), args.repeats)
            row.append(f"{threads} thread(s): N+1 predictions {plain * 1e3:.1f} ms, explain {explained * 1e3:.1f} ms")
        print("; ".join(row))


if __name__ == "__main__":
    main()

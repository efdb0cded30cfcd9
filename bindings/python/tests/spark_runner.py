"""Runs examples/spark/score.py several times in one Python process, for test_spark.py.

    python3 spark_runner.py SCORE_DIR SCENARIOS.json RESULTS.json

SCENARIOS.json maps a name to score.py's argument list; RESULTS.json receives, per name, the
exit status and what score.py wrote to sys.stderr. Each run is ``score.main(argv)`` with its
own SparkSession, stopped at the end as always; only the JVM is shared, which saves its start-up
(tens of seconds on a busy 2-core machine) for every run after the first. Python workers do not
outlive a session, so every run starts with fresh worker processes and an empty model cache.
An unexpected exception is not caught: it ends the runner with a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Dict, List


def main() -> None:
    score_dir, scenarios_path, results_path = sys.argv[1:4]
    sys.path.insert(0, score_dir)
    import score

    with open(scenarios_path, encoding="utf-8") as handle:
        scenarios: Dict[str, List[str]] = json.load(handle)
    results = {}
    for name, argv in scenarios.items():
        captured = io.StringIO()
        with contextlib.redirect_stderr(captured):
            try:
                status = score.main(argv)
            except SystemExit as exit:
                status = exit.code if isinstance(exit.code, int) else 1
        results[name] = {"status": status, "stderr": captured.getvalue()}
        print(f"spark_runner: {name}: exit {status}", file=sys.stderr)
    with open(results_path, "w", encoding="utf-8") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main()

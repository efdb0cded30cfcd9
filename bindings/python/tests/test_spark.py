"""examples/spark/score.py on PySpark in local mode (`local[2]`, more partitions than cores):
its predictions on IMDB test reviews equal `textrnn predict`'s bit for bit, each Python worker
process loads the bundle once and reuses it across partitions, and bad input stops the job with
a message naming the file and row. PySpark and Java are required: without them these tests fail.

The Spark scenarios run in one process (spark_runner.py: one JVM, a fresh SparkSession and fresh
Python workers per scenario), which keeps the file near 40 s; the script's own entry point is run
as a separate process by the last test.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest

from conftest import DATA, LIBRARY, PYTHON_ROOT, REPO, run_cli, slice_csv

SCRIPT = REPO / "examples" / "spark" / "score.py"
RUNNER = Path(__file__).resolve().parent / "spark_runner.py"
TEST_ROWS = 3000
TEST_STRIDE = 8
PARTITIONS = 8       # > the 2 cores of local[2], so workers must serve several partitions
JSONL_ROWS = 400

Prediction = Tuple[str, np.ndarray]


def _write_csv(path: Path, header: List[str], rows: List[List[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def spark_ready() -> None:
    if importlib.util.find_spec("pyspark") is None:
        pytest.fail("PySpark is not installed (pip install pyspark; .ci/run installs it)", pytrace=False)
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        pytest.fail("Java is not installed (apt-get install default-jre-headless; .ci/run installs it)", pytrace=False)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="module")
def test_rows(work) -> List[List[str]]:
    """Every 8th IMDB test review, the first TEST_ROWS, as [label, text] rows; line breaks folded,
    one text per line for the CLI (Spark gets the same texts)."""
    path = slice_csv(DATA / "imdb" / "test.csv", work / "test_slice.csv", TEST_STRIDE, TEST_ROWS)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["label", "text"]
        rows = [[label, " ".join(text.splitlines())] for label, text in reader]
    assert len(rows) == TEST_ROWS
    return rows


@pytest.fixture(scope="module")
def cli_predictions(cli, imdb_bundle, test_rows, work) -> List[Prediction]:
    """`textrnn predict` on the same texts: (label, float32 probabilities in label order)."""
    texts = work / "texts.txt"
    texts.write_text("".join(text + "\n" for _, text in test_rows), encoding="utf-8")
    lines = run_cli(cli, "predict", str(imdb_bundle), str(texts), "--threads", "2").stdout.decode().splitlines()
    assert len(lines) == len(test_rows)
    predictions = []
    for line in lines:
        record = json.loads(line)
        probabilities = record["probabilities"]
        predictions.append((record["label"], np.array([float(probabilities[k]) for k in ("negative", "positive")],
                                                      dtype=np.float32)))
    return predictions


def _environment() -> Dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PYTHON_ROOT), environment.get("PYTHONPATH")]))
    environment["TEXTRNN_LIBRARY"] = str(LIBRARY)
    environment["PYSPARK_PYTHON"] = sys.executable
    return environment


class Run:
    """One score.py run: its exit status and what it wrote to stderr."""

    def __init__(self, status: int, stderr: str) -> None:
        self.status = status
        self.stderr = stderr

    @property
    def last_line(self) -> str:
        lines = self.stderr.rstrip().splitlines()
        return lines[-1] if lines else ""

    def succeeded(self) -> None:
        assert self.status == 0, f"score.py exited {self.status}:\n{self.stderr[-4000:]}"


@pytest.fixture(scope="module")
def runs(spark_ready, imdb_bundle, test_rows, work) -> Dict[str, Run]:
    """Every Spark scenario of this file, run by spark_runner.py in one process (one JVM)."""
    bundle = str(imdb_bundle)
    reviews = _write_csv(work / "reviews.csv", ["label", "text"], test_rows)
    with_ids = _write_csv(work / "with_ids.csv", ["review_id", "label", "text"],
                          [[f"review-{i}", label, text] for i, (label, text) in enumerate(test_rows[:JSONL_ROWS])])
    missing_rows = [[f"r{i}", label, text] for i, (label, text) in enumerate(test_rows[:20])]
    missing_rows.insert(7, ["r-empty", "positive", ""])  # an empty CSV field reads as null
    missing = _write_csv(work / "missing.csv", ["id", "label", "text"], missing_rows)
    malformed = work / "malformed.csv"
    malformed.write_text('label,text\npositive,"a fine film"\nnegative,dull,extra field\n', encoding="utf-8")
    local = ["--master", "local[2]"]
    scenarios = {
        "csv": [*local, "--bundle", bundle, "--ship-bundle", "--input", str(reviews), "--output",
                str(work / "scored_csv"), "--partitions", str(PARTITIONS), "--batch-size", "100",
                "--stats", str(work / "stats.json")],
        "jsonl": [*local, "--bundle", bundle, "--input", str(with_ids), "--output", str(work / "scored_jsonl"),
                  "--format", "jsonl", "--id-column", "review_id", "--keep", "label", "--threads", "2",
                  "--batch-size", "64"],
        "missing": [*local, "--bundle", bundle, "--input", str(missing), "--output", str(work / "missing_out"),
                    "--id-column", "id"],
        "malformed": [*local, "--bundle", bundle, "--input", str(malformed), "--output", str(work / "bad_out")],
        "column": [*local, "--bundle", bundle, "--input", str(reviews), "--output", str(work / "col_out"),
                   "--text-column", "review"],
    }
    scenarios_path, results_path = work / "scenarios.json", work / "results.json"
    scenarios_path.write_text(json.dumps(scenarios), encoding="utf-8")
    process = subprocess.run([sys.executable, str(RUNNER), str(SCRIPT.parent), str(scenarios_path), str(results_path)],
                             capture_output=True, text=True, timeout=900, env=_environment())
    assert process.returncode == 0, f"spark_runner.py exited {process.returncode}:\n{process.stderr[-6000:]}"
    results = json.loads(results_path.read_text(encoding="utf-8"))
    return {name: Run(result["status"], result["stderr"]) for name, result in results.items()}


def _read_parts(directory: Path, pattern: str) -> List[dict]:
    parts = sorted(directory.glob(pattern))
    assert parts, f"no {pattern} files in {directory}"
    records: List[dict] = []
    for part in parts:
        with open(part, newline="", encoding="utf-8") as handle:
            if pattern.endswith(".csv"):
                records.extend(csv.DictReader(handle))
            else:
                records.extend(json.loads(line) for line in handle if line.strip())
    return records


def _probabilities(record: dict) -> np.ndarray:
    return np.array([float(record["p_negative"]), float(record["p_positive"])], dtype=np.float32)


def _assert_same_predictions(spark: List[Tuple[int, dict]], cli: List[Prediction]) -> None:
    for index, record in spark:
        label, expected = cli[index]
        got = _probabilities(record)
        assert record["predicted_label"] == label, f"row {index}: Spark {record['predicted_label']}, CLI {label}"
        assert np.array_equal(got, expected), f"row {index}: Spark {got.tolist()}, CLI {expected.tolist()}"
        assert np.float32(float(record["probability"])) == expected.max(), f"row {index}"


def test_csv_scores_equal_cli_with_one_load_per_process(runs, test_rows, cli_predictions, work):
    runs["csv"].succeeded()
    records = _read_parts(work / "scored_csv", "part-*.csv")
    rows = sorted(int(record["row"]) for record in records)
    assert rows == list(range(TEST_ROWS)), "every input row exactly once"
    _assert_same_predictions([(int(record["row"]), record) for record in records], cli_predictions)
    # Not vacuous: the model tells reviews apart, and mostly right.
    predicted = [record["predicted_label"] for record in sorted(records, key=lambda r: int(r["row"]))]
    assert set(predicted) == {"negative", "positive"}
    accuracy = np.mean([p == row[0] for p, row in zip(predicted, test_rows)])
    assert accuracy > 0.65, accuracy

    stats = json.loads((work / "stats.json").read_text())
    assert stats["partitions"] == PARTITIONS and stats["rows"] == TEST_ROWS
    sequences: Dict[int, List[int]] = defaultdict(list)
    for record in stats["records"]:
        assert record["loads"] == 1, f"process {record['pid']} loaded the bundle {record['loads']} times"
        sequences[record["pid"]].append(record["sequence"])
    # Each process counted its partitions 1, 2, ...: module state (and so the cached model)
    # outlived every task, and with 8 partitions on 2 cores some process served several.
    for pid, seen in sequences.items():
        assert sorted(seen) == list(range(1, len(seen) + 1)), f"process {pid}: partition sequence {seen}"
    assert len(sequences) < PARTITIONS and max(len(seen) for seen in sequences.values()) >= 2, sequences


def test_jsonl_keeps_ids_and_columns_and_matches_cli(runs, test_rows, cli_predictions, work):
    runs["jsonl"].succeeded()
    records = _read_parts(work / "scored_jsonl", "part-*.json")
    assert len(records) == JSONL_ROWS
    indexed = [(int(record["review_id"].removeprefix("review-")), record) for record in records]
    assert sorted(index for index, _ in indexed) == list(range(JSONL_ROWS))
    for index, record in indexed:
        assert record["label"] == test_rows[index][0]
    _assert_same_predictions(indexed, cli_predictions)


def test_missing_text_names_file_and_row(runs, work):
    run = runs["missing"]
    assert run.status == 1, run.stderr[-2000:]
    assert run.last_line == f"score.py: error: {work / 'missing.csv'}: row 'r-empty': the text is missing (null)"


def test_malformed_csv_names_file_and_record(runs, work):
    run = runs["malformed"]
    assert run.status == 1, run.stderr[-2000:]
    assert run.last_line.startswith("score.py: error: the Spark job failed: "), run.last_line
    assert str(work / "malformed.csv") in run.last_line, run.last_line
    assert "Malformed CSV record: negative,dull,extra field" in run.last_line, run.last_line


def test_unknown_column_is_named(runs, work):
    run = runs["column"]
    assert run.status == 2, run.stderr[-2000:]
    assert run.last_line == f"score.py: error: {work / 'reviews.csv'}: no column 'review' (columns: label, text)"


def test_bad_bundle_is_named_before_spark_starts(spark_ready, test_rows, work):
    """The script as a user runs it: a bundle that does not exist stops it on the driver."""
    missing = work / "absent.textrnn"
    source = _write_csv(work / "few.csv", ["label", "text"], test_rows[:5])
    result = subprocess.run([sys.executable, str(SCRIPT), "--bundle", str(missing), "--input", str(source),
                             "--output", str(work / "bundle_out")],
                            capture_output=True, text=True, timeout=120, env=_environment())
    assert result.returncode == 1, result.stderr[-2000:]
    last = result.stderr.rstrip().splitlines()[-1]
    assert last.startswith(f"score.py: error: {missing}: ") and "manifest.json" in last, last

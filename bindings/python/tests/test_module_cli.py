"""`python -m textrnn predict` writes the bytes `textrnn predict` writes, for every output kind,
every format and option, odd labels and odd input; and fails the same way on bad input."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Sequence

import pytest

from conftest import DATA, PYTHON_ROOT, run_cli

import textrnn

OPTIONS = [[], ["--format", "tsv"], ["--top-k", "2"], ["--format", "tsv", "--top-k", "9"], ["--threads", "0"], ["--threads", "3", "--top-k", "1"]]


def run_module(*args: str, input: bytes | None = None, cwd: Path | None = None, python: str = sys.executable,
               env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m textrnn ARGS` from this checkout (or with `python`, `env` as given)."""
    if env is None:
        env = dict(os.environ, PYTHONPATH=str(PYTHON_ROOT))
    return subprocess.run([python, "-m", "textrnn", *args], input=input, capture_output=True, cwd=cwd, env=env, timeout=300)


def review_lines(count: int) -> bytes:
    """`count` IMDB test reviews, one per line, then lines that stress reading: an empty line,
    invalid UTF-8 with CRLF, a NUL byte, and a last line without a newline."""
    source = DATA / "imdb" / "test.csv"
    if not source.exists():
        pytest.fail(f"shared dataset missing: {source} (set TEXTRNN_DATA)", pytrace=False)
    texts: List[str] = []
    with open(source, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            texts.append(" ".join(row["text"].split()))
            if len(texts) == count:
                break
    return ("\n".join(texts) + "\n").encode() + b"\n\xff\xfe not utf-8\r\nnul\x00byte\nno newline"


@pytest.fixture(scope="session")
def odd_label_bundle(cli, tmp_path_factory) -> Path:
    """Four labels that JSON must escape (quote, backslash, U+2028, a control character)."""
    directory = tmp_path_factory.mktemp("odd")
    labels = ['pos "quoted"', "back\\slash", "caf\u00e9 \u2713", "odd\u2028sep\x01"]
    with open(directory / "train.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["label", "text"])
        for i in range(120):
            writer.writerow([labels[i % 4], f"w{i % 4} w{i % 4}x filler{i % 5}"])
    bundle = directory / "odd.textrnn"
    run_cli(cli, "train", "--train", str(directory / "train.csv"), "--output", str(bundle), "--epochs", "2",
            "--units", "8", "--embedding-dim", "8", "--seed", "1", "--quiet")
    return bundle


@pytest.fixture(scope="session")
def multi_label_bundle(cli, tmp_path_factory) -> Path:
    """A multi-label (sigmoid per label) model from fastText lines with several labels."""
    directory = tmp_path_factory.mktemp("multi")
    lines = []
    for i in range(200):
        labels = [name for bit, name in enumerate(["sport", "money", "tech"]) if (i >> bit) & 1] or ["tech"]
        words = [f"{name}{i % 5}" for name in labels] + [f"filler{i % 7}"]
        lines.append(" ".join(f"__label__{name}" for name in labels) + " " + " ".join(words))
    (directory / "train.txt").write_text("\n".join(lines) + "\n")
    bundle = directory / "multi.textrnn"
    run_cli(cli, "train", "--train", str(directory / "train.txt"), "--output", str(bundle), "--epochs", "2",
            "--units", "8", "--embedding-dim", "8", "--seed", "1", "--quiet")
    return bundle


def assert_same_output(cli, bundle: Path, data: bytes, options: Sequence[str], tmp_path: Path) -> None:
    path = tmp_path / "texts.txt"
    path.write_bytes(data)
    swift = run_cli(cli, "predict", str(bundle), str(path), *options)
    python = run_module("predict", str(bundle), str(path), *options)
    assert python.returncode == 0, python.stderr.decode(errors="replace")
    assert python.stdout == swift.stdout, f"{bundle.name} {' '.join(options)}: outputs differ"
    assert len(swift.stdout.splitlines()) == data.count(b"\n") + (not data.endswith(b"\n"))


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: " ".join(o) or "defaults")
def test_same_bytes_as_the_cli_on_reviews(cli, imdb_bundle, options, tmp_path):
    assert_same_output(cli, imdb_bundle, review_lines(150), options, tmp_path)


@pytest.mark.parametrize("kind", ["softmax", "sigmoid", "multi_label", "odd_labels"])
def test_same_bytes_as_the_cli_for_every_output_kind(cli, bundles, multi_label_bundle, odd_label_bundle, kind, tmp_path):
    bundle = {
        "softmax": bundles["bigru_bigru_softmax_pre"], "sigmoid": bundles["simple_rnn_x3_sigmoid_post"],
        "multi_label": multi_label_bundle, "odd_labels": odd_label_bundle,
    }[kind]
    words = ["t2", "t3", "t9", "t17", "sport1", "money2", "tech3", "filler4", "w0", "w1", "w2x", "w3"]
    data = "".join(" ".join(words[(i * j) % len(words)] for j in range(i % 6)) + "\n" for i in range(60)).encode()
    for options in (["--top-k", "3"], ["--format", "tsv", "--top-k", "2"], ["--tsv", "--threshold", "0.3"], ["--threshold", "0.7"]):
        assert_same_output(cli, bundle, data, options, tmp_path)


def test_multi_label_sets_follow_the_threshold_in_cli_c_and_python(cli, classify, multi_label_bundle, tmp_path):
    # Issue 14 item 12: the predicted label set, at any --threshold, the same in every front end.
    texts = ["sport1 money1 filler2", "tech3", "money2 tech2 sport2", "nothing known"]
    data = "".join(text + "\n" for text in texts).encode()
    with textrnn.load(multi_label_bundle) as model:
        for threshold in ("0.5", "0.2", "0.9"):
            lines = [json.loads(line) for line in run_cli(cli, "predict", str(multi_label_bundle), "--threshold", threshold, input=data).stdout.splitlines()]
            expected = [[label for label, p in line["probabilities"].items() if p >= float(threshold)] for line in lines]
            assert [sorted(line["labels"]) for line in lines] == [sorted(labels) for labels in expected]
            tsv = run_cli(cli, "predict", str(multi_label_bundle), "--tsv", "--threshold", threshold, input=data).stdout.decode().splitlines()
            assert [sorted(line.split("\t")[0::2]) if line else [] for line in tsv] == [sorted(labels) for labels in expected]
            c_lines = subprocess.run([str(classify), "--threshold", threshold, str(multi_label_bundle)], input=data,
                                     capture_output=True, check=True).stdout.splitlines()
            assert [json.loads(line)["labels"] for line in c_lines] == [line["labels"] for line in lines]
            assert [sorted(labels) for labels in model.predict_labels(texts, threshold=float(threshold))] == [sorted(labels) for labels in expected]
        assert model.predict_labels("tech3", threshold=0.0) == [label for label, _ in model.top_k("tech3", 3)]


def test_standard_input_and_empty_input(cli, imdb_bundle):
    data = review_lines(5)
    assert run_module("predict", str(imdb_bundle), input=data).stdout == run_cli(cli, "predict", str(imdb_bundle), input=data).stdout
    empty = run_module("predict", str(imdb_bundle), "-", input=b"")
    assert empty.returncode == 0 and empty.stdout == b""


@pytest.mark.parametrize("case", ["missing bundle", "missing file", "damaged bundle"])
def test_failures_match_the_cli(cli, imdb_bundle, case, tmp_path):
    if case == "missing bundle":
        args = [str(tmp_path / "none.textrnn")]
    elif case == "missing file":
        args = [str(imdb_bundle), str(tmp_path / "none.txt")]
    else:
        damaged = tmp_path / "damaged.textrnn"
        damaged.mkdir()
        (damaged / "manifest.json").write_text('{"format": "textrnn-bundle", "version": ')
        args = [str(damaged)]
    swift = run_cli(cli, "predict", *args, check=False, input=b"x\n")
    python = run_module("predict", *args, input=b"x\n")
    assert (python.returncode, python.stdout) == (swift.returncode, swift.stdout) == (1, b"")
    assert python.stderr == swift.stderr and python.stderr.startswith(b"textrnn: ")


def test_a_text_over_the_limit_names_its_line_after_printing_the_ones_before(cli, imdb_bundle, tmp_path):
    path = tmp_path / "long.txt"
    path.write_bytes(b"fine\nalso fine\n" + b"a" * ((64 << 20) + 1) + b"\nnever reached\n")
    for threads in ("1", "2"):
        swift = run_cli(cli, "predict", str(imdb_bundle), str(path), "--threads", threads, check=False)
        python = run_module("predict", str(imdb_bundle), str(path), "--threads", threads)
        assert python.returncode == swift.returncode == 1
        assert python.stdout == swift.stdout and len(python.stdout.splitlines()) == 2
        prefix = f"textrnn: {path}:3: text of 67108865 bytes exceeds".encode()
        assert python.stderr.startswith(prefix) and swift.stderr.startswith(prefix)


def test_bad_options_are_refused_as_the_swift_cli_refuses_them(cli, imdb_bundle):
    # docs/cli.md: "textrnn: reason", then the usage; exit status 64, in both command lines.
    for options in (["--top-k", "0"], ["--threads", "-1"], ["--format", "xml"], ["--threshold", "1.5"], ["--json", "--tsv"]):
        for result in (run_module("predict", str(imdb_bundle), *options, input=b"x\n"),
                       run_cli(cli, "predict", str(imdb_bundle), *options, input=b"x\n", check=False)):
            assert result.returncode == 64 and result.stdout == b"", (options, result)
            assert result.stderr.startswith(b"textrnn: "), result.stderr
            assert b"sage: " in result.stderr and b"predict" in result.stderr, result.stderr


def test_version_of_both_command_lines(cli):
    swift = run_cli(cli, "--version")
    python = run_module("--version")
    assert python.returncode == 0
    assert swift.stdout == python.stdout == f"textrnn {textrnn.__version__}\n".encode()

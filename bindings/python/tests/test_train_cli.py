"""`textrnn train` / `textrnn evaluate` as a user runs them: real data slices, real errors."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DATA, run_cli, slice_dataset

import textrnn


SMALL = ["--cell", "gru", "--units", "16", "--embedding-dim", "16", "--max-tokens", "2000",
         "--sequence-length", "48", "--epochs", "3", "--batch-size", "32", "--learning-rate", "0.01", "--quiet"]


def test_train_evaluate_predict_on_ag_news(cli, tmp_path):
    train = slice_dataset(DATA / "ag_news_mini" / "train.csv", tmp_path / "train.csv", 150)
    bundle = tmp_path / "ag.textrnn"
    report = tmp_path / "report.html"
    result = run_cli(cli, "train", "--train", str(train), "--output", str(bundle), "--report", str(report), *SMALL)
    out = result.stdout.decode()
    assert "macro avg" in out and "accuracy" in out
    assert (bundle / "manifest.json").exists() and (bundle / "weights.bin").exists()
    assert not Path(str(bundle) + ".checkpoint").exists(), "the checkpoint is removed after a successful export"
    html = report.read_text()
    assert html.count("<svg") >= 2 and "Confusion" in html

    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["labels"] == ["Business", "Sci/Tech", "Sports", "World"]
    assert manifest["training"]["metrics"]["split"] == "validation"
    assert len(manifest["training"]["history"]) == 3

    evaluation = json.loads(run_cli(cli, "evaluate", str(bundle), str(DATA / "ag_news_mini" / "test.csv"), "--json").stdout)
    assert evaluation["accuracy"] > 0.4, "three epochs on 600 rows beat chance (0.25) by a wide margin"
    assert set(evaluation["per_class"]) == set(manifest["labels"])
    assert sum(map(sum, evaluation["confusion_matrix"])) == 1600

    # The CLI and the Python binding give the same answer for the same text.
    text = "Stocks rallied as the central bank held interest rates"
    line = json.loads(run_cli(cli, "predict", str(bundle), input=(text + "\n").encode()).stdout)
    with textrnn.load(str(bundle)) as model:
        label, probability = model.predict(text)
    assert line["label"] == label
    assert abs(line["probability"] - probability) <= 1e-7


def test_same_seed_gives_identical_bundle_bytes(cli, tmp_path):
    train = slice_dataset(DATA / "ag_news_mini" / "train.csv", tmp_path / "train.csv", 60)
    for name in ("a", "b"):
        run_cli(cli, "train", "--train", str(train), "--output", str(tmp_path / f"{name}.textrnn"), "--seed", "5", *SMALL)
    for file in ("manifest.json", "weights.bin"):
        assert (tmp_path / "a.textrnn" / file).read_bytes() == (tmp_path / "b.textrnn" / file).read_bytes()


def _train_error(cli, tmp_path, *args) -> str:
    result = run_cli(cli, "train", "--output", str(tmp_path / "x.textrnn"), *args, *SMALL, check=False)
    assert result.returncode != 0
    assert not (tmp_path / "x.textrnn").exists()
    return result.stderr.decode()


def test_missing_training_file(cli, tmp_path):
    message = _train_error(cli, tmp_path, "--train", str(tmp_path / "nope.csv"))
    assert "nope.csv" in message


def test_broken_quote_names_file_and_line(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('label,text\npositive,"fine\nnegative,"broken "quote" here\n')
    message = _train_error(cli, tmp_path, "--train", str(bad))
    assert "bad.csv:" in message and "quote" in message.lower()


def test_empty_text_names_file_and_line(cli, tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_text("label,text\npositive,good film\nnegative,\npositive,great\n")
    message = _train_error(cli, tmp_path, "--train", str(bad))
    assert "empty.csv:3" in message


def test_unknown_label_in_validation_file(cli, tmp_path):
    train = slice_dataset(DATA / "ag_news_mini" / "train.csv", tmp_path / "train.csv", 20)
    validation = tmp_path / "validation.csv"
    validation.write_text("label,text\nWorld,peace talks resume\nWeather,rain tomorrow\n")
    message = _train_error(cli, tmp_path, "--train", str(train), "--validation", str(validation))
    assert "validation.csv:3" in message and "Weather" in message


def test_bad_hyperparameter_is_named(cli, tmp_path):
    train = slice_dataset(DATA / "ag_news_mini" / "train.csv", tmp_path / "train.csv", 20)
    result = run_cli(cli, "train", "--train", str(train), "--output", str(tmp_path / "x.textrnn"), "--cell", "transformer", check=False)
    assert result.returncode != 0 and "--cell" in result.stderr.decode()

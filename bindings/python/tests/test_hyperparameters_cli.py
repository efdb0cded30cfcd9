"""The hyperparameter table as users and tools see it: `train --help`, `--config`, flags, the
machine-readable list (`textrnn hyperparameters`), docs/hyperparameters.md, and the manifest's
record, from which the same bundle can be trained again."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DATA, REPO, run_cli, slice_dataset


def _table(cli) -> list[dict]:
    return json.loads(run_cli(cli, "hyperparameters").stdout)


def test_every_flag_has_help_and_shows_its_default(cli):
    rows = _table(cli)
    assert len(rows) >= 40 and len({row["name"] for row in rows}) == len(rows)
    help_text = run_cli(cli, "train", "--help").stdout.decode()
    for row in rows:
        assert row["help"], row
        assert f"\n  {row['flag']} <" in help_text, row["flag"]
    words = " ".join(help_text.split())
    assert words.count("Default: ") == len(rows)
    # The data-aware defaults of the no-flag recipe are spelled out.
    assert "Default: max, or average when the median training text is over 64 tokens." in words
    assert "Default: 10, or 20 with fewer than 5000 training texts." in words


def test_docs_are_generated_from_the_table(cli):
    generated = run_cli(cli, "hyperparameters", "--markdown").stdout.decode()
    assert (REPO / "docs" / "hyperparameters.md").read_text() == generated, \
        "docs/hyperparameters.md is stale: bin/textrnn hyperparameters --markdown > docs/hyperparameters.md"


def _error(cli, tmp_path, *args) -> str:
    result = run_cli(cli, "train", "--train", str(tmp_path / "unused.csv"), "--output", str(tmp_path / "x.textrnn"), *args,
                     check=False)
    assert result.returncode != 0
    return result.stderr.decode()


def test_flag_and_config_errors_name_the_key(cli, tmp_path):
    assert "--pooling must be one of last, max, average, not \"mean\"" in _error(cli, tmp_path, "--pooling", "mean")
    assert "unknown option --epoch" in _error(cli, tmp_path, "--epoch", "3")
    assert "dropout (--dropout) must be float in [0, 1), not 1.5" in _error(cli, tmp_path, "--dropout=1.5")
    config = tmp_path / "config.json"
    config.write_text('{"units": [64, "32"]}')
    assert f'{config}: config: "units" must be int list' in _error(cli, tmp_path, "--config", str(config))
    config.write_text('{"learning_rate": 0.01,\n "cell": }\n')
    assert f"{config}: invalid JSON at line 2, column" in _error(cli, tmp_path, "--config", str(config))


def test_a_bundle_trains_again_from_its_own_manifest_record(cli, tmp_path):
    train = slice_dataset(DATA / "ag_news_mini" / "train.csv", tmp_path / "train.csv", 40)
    first = tmp_path / "first.textrnn"
    run_cli(cli, "train", "--train", str(train), "--output", str(first), "--ngrams=2", "--units", "8", "--embedding-dim", "8",
            "--max-tokens", "1500", "--epochs", "2", "--clipnorm", "1", "--optimizer", "sgd", "--momentum", "0.5",
            "--warmup-steps", "3", "--class-weight", "balanced", "--reset-after", "false", "--quiet")
    record = json.loads((first / "manifest.json").read_text())["training"]["hyperparameters"]
    assert {row["name"] for row in _table(cli) if "manifest" in row["recorded"]} == set(record)
    assert record["ngrams"] == 2 and record["clipnorm"] == 1.0 and record["momentum"] == 0.5
    assert record["class_weight"] == "balanced" and record["reset_after"] is False and record["warmup_steps"] == 3
    # inspect lists the record one flag per line, as the flags take the values.
    summary = run_cli(cli, "inspect", str(first)).stdout.decode()
    assert "\n    --ngrams 2\n" in summary and "\n    --clipnorm 1.0\n" in summary and "\n    --reset-after false\n" in summary
    config = tmp_path / "record.json"
    config.write_text(json.dumps(record))
    second = tmp_path / "second.textrnn"
    run_cli(cli, "train", "--train", str(train), "--output", str(second), "--config", str(config), "--quiet")
    assert (first / "weights.bin").read_bytes() == (second / "weights.bin").read_bytes()
    assert json.loads((second / "manifest.json").read_text())["training"]["hyperparameters"] == record

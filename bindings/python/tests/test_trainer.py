"""Training in process through libtextrnn-trainer (textrnn.train, include/textrnn_trainer.h):
the same model as `textrnn train` on the same rows, progress, Ctrl-C, errors, and C callers."""

from __future__ import annotations

import csv
import json
import logging
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import textrnn
from conftest import DATA, LIBRARY, PYTHON_ROOT, REPO, TRAINER_LIBRARY, run_cli, slice_dataset

# Small and fast: a few seconds per training on 2 cores.
CONFIG = {"epochs": 2, "units": [16], "embedding_dim": 16, "max_tokens": 3000, "seed": 5}


def rows(path: Path):
    with open(path, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    return [row["text"] for row in table], [row["label"] for row in table]


@pytest.fixture(scope="module")
def ag_news(tmp_path_factory) -> Path:
    """150 rows of each of ag_news_mini's 4 labels."""
    return slice_dataset(DATA / "ag_news_mini" / "train.csv", tmp_path_factory.mktemp("ag") / "train.csv", per_label=150)


@pytest.fixture(scope="module")
def ag_news_test(tmp_path_factory) -> list:
    texts, _ = rows(slice_dataset(DATA / "ag_news_mini" / "test.csv", tmp_path_factory.mktemp("agt") / "test.csv", per_label=25))
    return texts


def cli_probabilities(cli, bundle: Path, texts: list, tmp_path: Path) -> np.ndarray:
    lines = tmp_path / "texts.txt"
    lines.write_text("".join(text.replace("\n", " ") + "\n" for text in texts), encoding="utf-8")
    output = run_cli(cli, "predict", str(bundle), str(lines), "--format", "json").stdout.decode().splitlines()
    with textrnn.load(bundle) as model:
        labels = model.labels
    return np.array([[json.loads(line)["probabilities"][label] for label in labels] for line in output], dtype=np.float32)


def test_hyperparameters_are_the_config_keys_with_their_defaults():
    table = textrnn.hyperparameters()
    assert {"cell", "units", "epochs", "learning_rate", "validation_split", "seed", "clipnorm"} <= set(table)
    assert table["units"] == (32,) and table["clipnorm"] is None and table["cell"] == "gru"
    # Every name is a key `--config` accepts: passing all the defaults back trains (one epoch).
    texts, labels = ["good film", "bad film"] * 10, ["pos", "neg"] * 10
    explicit = {name: value for name, value in table.items() if value is not None}
    explicit.update(epochs=1, units=(4,), embedding_dim=4, threads=1, bag=False)
    assert textrnn.train(texts, labels, **explicit).labels == ["neg", "pos"]


def test_train_equals_the_cli_on_the_same_rows(cli, ag_news, ag_news_test, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    bundle = tmp_path / "cli.textrnn"
    run_cli(cli, "train", "--train", str(ag_news), "--config", str(config), "--output", str(bundle), "--quiet")
    texts, labels = rows(ag_news)
    model = textrnn.train(texts, labels, output=tmp_path / "python.textrnn", **CONFIG)
    assert model.labels == ["Business", "Sci/Tech", "Sports", "World"]
    expected = cli_probabilities(cli, bundle, ag_news_test, tmp_path)
    assert np.array_equal(model.predict_proba(ag_news_test), expected)
    with textrnn.load(tmp_path / "python.textrnn") as written:
        assert np.array_equal(written.predict_proba(ag_news_test), expected)
    manifest, weights = model.bundle_bytes
    assert weights == (bundle / "weights.bin").read_bytes()
    assert json.loads(manifest)["training"]["dataset"] == "memory"


def test_progress_reaches_the_callback_and_the_logger(ag_news, caplog):
    texts, labels = rows(ag_news)
    events = []
    with caplog.at_level(logging.INFO, logger="textrnn.trainer"):
        textrnn.train(texts, labels, progress=events.append, **CONFIG)
    kinds = {event.kind for event in events}
    assert kinds == {"message", "batch", "epoch"}
    epochs = [event for event in events if event.kind == "epoch"]
    assert [event.epoch for event in epochs] == [1, 2] and all(event.epochs == 2 for event in epochs)
    assert all(0 <= event.validation_accuracy <= 1 and event.loss > 0 for event in epochs)
    batches = [event for event in events if event.kind == "batch"]
    assert batches[-1].batch == batches[-1].batches and batches[0].loss is not None
    assert any(event.message.startswith("train: 540 rows, 4 labels; validation: 60 rows") for event in events)
    assert "Epoch 2/2" in caplog.text


def test_an_exception_in_the_callback_stops_training_and_is_raised(ag_news):
    texts, labels = rows(ag_news)
    seen = []

    def stop(event):
        seen.append(event)
        if event.kind == "batch":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        textrnn.train(texts, labels, progress=stop, **CONFIG)
    assert [event.kind for event in seen].count("batch") == 1, "no batch ran after the stop"


def test_ctrl_c_stops_training_cleanly(ag_news):
    # A separate process gets SIGINT while it trains for (at most) 200 epochs.
    script = (
        "import csv, sys, textrnn\n"
        "rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))\n"
        "def started(event):\n"
        "    if event.kind == 'batch' and event.batch == 1: print('started', flush=True)\n"
        "try:\n"
        "    textrnn.train([r['text'] for r in rows], [r['label'] for r in rows], progress=started, epochs=200,\n"
        "                  early_stopping=0, units=[16], embedding_dim=16)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True); sys.exit(3)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(ag_news)], stdout=subprocess.PIPE, text=True,
                               env={**__import__("os").environ, "PYTHONPATH": str(PYTHON_ROOT)})
    assert process.stdout.readline() == "started\n"
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 3
    assert process.stdout.read() == "interrupted\n"
    assert time.monotonic() - sent < 10, "training stopped at the next batch, not at the end"


def test_bad_config_and_data_are_refused_with_their_reason():
    texts, labels = ["good film", "bad film"] * 5, ["pos", "neg"] * 5
    with pytest.raises(TypeError, match="unknown hyperparameter.*no_such_key"):
        textrnn.train(texts, labels, no_such_key=1)
    with pytest.raises(textrnn.TrainingError, match=r"epochs \(--epochs\) must be int in 1\.\.\.10000") as caught:
        textrnn.train(texts, labels, epochs=0)
    assert caught.value.status_name == "invalid config"
    with pytest.raises(textrnn.TrainingError, match="cell") as caught:
        textrnn.train(texts, labels, cell="transformer")
    with pytest.raises(textrnn.TrainingError, match=r'validation.labels\[1\]: "maybe" does not occur') as caught:
        textrnn.train(texts, labels, validation=(["so so", "fine"], ["pos", "maybe"]), epochs=1)
    assert caught.value.status_name == "invalid data"
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        textrnn.train(["a", "b", "c"], ["x", "y"])
    with pytest.raises(textrnn.TrainingError, match=r"train.labels\[1\] is empty"):
        textrnn.train(texts, ["pos", ""] * 5)
    with pytest.raises(textrnn.TrainingError, match=r"train.texts\[2\] is not valid UTF-8"):
        textrnn.train([b"good", b"bad", b"caf\xe9"] * 4, ["pos", "neg", "pos"] * 4)


def test_a_c_program_trains_and_classifies(cli, ag_news, tmp_path):
    program = tmp_path / "train"
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-std=c11", f"-I{REPO / 'include'}",
                    str(REPO / "examples" / "c" / "train.c"), "-o", str(program),
                    f"-L{LIBRARY.parent}", "-ltextrnn", f"-L{TRAINER_LIBRARY.parent}", "-ltextrnn-trainer",
                    f"-Wl,-rpath,{LIBRARY.parent}"], check=True)
    texts, labels = rows(ag_news)
    tsv = "".join(f"{label}\t{text}\n" for label, text in zip(labels, texts))
    bundle = tmp_path / "c.textrnn"
    trained = subprocess.run([str(program), str(bundle), json.dumps(CONFIG)], input=tsv.encode(), capture_output=True, timeout=300)
    assert trained.returncode == 0, trained.stderr.decode()
    assert b"Epoch 2/2" in trained.stderr
    lines = tmp_path / "texts.txt"
    lines.write_text("".join(text + "\n" for text in texts), encoding="utf-8")
    def parsed(output: bytes):  # LABEL<TAB>PROBABILITY lines; C prints %.9g, the CLI the shortest form
        return [(label, np.float32(value)) for label, value in (line.split("\t") for line in output.decode().splitlines())]

    assert parsed(trained.stdout) == parsed(run_cli(cli, "predict", str(bundle), str(lines), "--format", "tsv").stdout)
    assert np.array_equal(textrnn.load(bundle).predict_proba(texts), textrnn.train(texts, labels, **CONFIG).predict_proba(texts))


def test_trainer_library_exports_its_header_and_needs_no_swift_library():
    header = (REPO / "include" / "textrnn_trainer.h").read_text()
    declared = set(re.findall(r"\b(textrnn_trainer_[a-z_]+)\s*\(", header))
    output = subprocess.run(["nm", "-D", "--defined-only", str(TRAINER_LIBRARY)], capture_output=True, text=True, check=True).stdout
    assert {line.split()[-1] for line in output.splitlines() if line.strip()} == declared
    linked = subprocess.run(["ldd", str(TRAINER_LIBRARY)], capture_output=True, text=True, check=True).stdout
    assert "libswift" not in linked and "libFoundation" not in linked, linked

"""The CLI (textrnn predict / inspect), the textrnn-fixture tool and the C example's error handling."""

from __future__ import annotations

import json
import subprocess

import numpy as np

import textrnn
from conftest import run_cli


def predict_lines(cli, bundle, data: bytes, *args: str):
    result = run_cli(cli, "predict", str(bundle), *args, input=data)
    return result.stdout.decode().splitlines()


def test_predict_json(cli, softmax_bundle, model):
    lines = predict_lines(cli, softmax_bundle, b"t2 t3\n\nt4 t5 t6\r\n")
    assert len(lines) == 3
    for line, text in zip(lines, ["t2 t3", "", "t4 t5 t6"]):
        result = json.loads(line)
        expected = model.predict_one(text)
        assert [np.float32(result["probabilities"][label]) for label in model.labels] == [np.float32(p) for p in expected]
        assert (result["label"], np.float32(result["probability"])) == model.predict(text)
        assert "labels" not in result and "top_k" not in result


def test_predict_file_argument_and_threads(cli, softmax_bundle, tmp_path):
    texts = [f"t{i % 28 + 2} t{(i * 5) % 28 + 2} t{(i * 11) % 28 + 2}" for i in range(300)]
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(texts) + "\n")
    one = run_cli(cli, "predict", str(softmax_bundle), str(path)).stdout
    many = run_cli(cli, "predict", str(softmax_bundle), str(path), "--threads", "3").stdout
    every = run_cli(cli, "predict", str(softmax_bundle), "--threads", "0", "-", input=path.read_bytes()).stdout
    assert one == many == every
    assert len(one.decode().splitlines()) == 300


def test_predict_tsv_and_top_k(cli, softmax_bundle, model):
    lines = predict_lines(cli, softmax_bundle, b"t2 t9\n", "--format", "tsv")
    label, probability = lines[0].split("\t")
    assert (label, np.float32(probability)) == model.predict("t2 t9")
    lines = predict_lines(cli, softmax_bundle, b"t2 t9\n", "--format", "tsv", "--top-k", "2")
    fields = lines[0].split("\t")
    assert [(fields[i], np.float32(fields[i + 1])) for i in (0, 2)] == [
        (label, np.float32(p)) for label, p in model.top_k("t2 t9", 2)
    ]
    result = json.loads(predict_lines(cli, softmax_bundle, b"t2 t9\n", "--top-k", "5")[0])
    assert [(e["label"], np.float32(e["probability"])) for e in result["top_k"]] == [
        (label, np.float32(p)) for label, p in model.top_k("t2 t9", 5)
    ]


def test_predict_binary_sigmoid(cli, bundles):
    result = json.loads(predict_lines(cli, bundles["lstm_sigmoid_post"], b"t2 t3\n")[0])
    assert set(result["probabilities"]) == {"0", "1"}
    assert "labels" not in result


def test_predict_invalid_utf8_does_not_crash(cli, softmax_bundle, model):
    data = b"\xff\xfe t2\nt3 \xc3\nt4\x00t5\n"
    lines = predict_lines(cli, softmax_bundle, data)
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert [np.float32(first["probabilities"][l]) for l in model.labels] == [
        np.float32(p) for p in model.predict_one(b"\xff\xfe t2")
    ]


def test_predict_errors(cli, softmax_bundle, tmp_path):
    result = run_cli(cli, "predict", str(tmp_path / "missing.textrnn"), input=b"t2\n", check=False)
    assert result.returncode != 0
    assert result.stderr.decode().startswith("textrnn: ")
    assert "missing.textrnn/manifest.json" in result.stderr.decode()
    result = run_cli(cli, "predict", str(softmax_bundle), str(tmp_path / "nofile.txt"), check=False)
    assert result.returncode != 0 and "nofile.txt" in result.stderr.decode()
    result = run_cli(cli, "predict", str(softmax_bundle), "--top-k", "0", input=b"t2\n", check=False)
    assert result.returncode != 0


def test_predict_reports_file_and_line(cli, softmax_bundle, tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as handle:
        handle.write(b"t2\nt3\n")
        handle.write(b"x" * (textrnn.MAX_TEXT_BYTES + 1))
        handle.write(b"\nt4\n")
    result = run_cli(cli, "predict", str(softmax_bundle), str(path), check=False)
    assert result.returncode == 1
    assert result.stderr.decode().startswith(f"textrnn: {path}:3: ")
    assert len(result.stdout.decode().splitlines()) == 2, "the lines before the failure are written"


def test_inspect(cli, softmax_bundle):
    text = run_cli(cli, "inspect", str(softmax_bundle)).stdout.decode()
    assert "embedding (Embedding)" in text and "(None, 7, 6)" in text
    assert "bidirectional (Bidirectional)" in text and "(None, 7, 10)" in text
    assert "dense_1 (Dense)" in text and "(None, 3)" in text
    assert "Total params: 967" in text
    assert "Labels (3): 0, 1, 2" in text
    assert "Output: softmax" in text
    assert "sequence_length=7" in text
    assert "float32" in text
    assert "Keras fixture bilstm_lstm_softmax_post" in text
    summary = json.loads(run_cli(cli, "inspect", "--json", str(softmax_bundle)).stdout)
    assert summary["total_params"] == 967
    assert [layer["params"] for layer in summary["layers"]] == [180, 480, 240, 40, 27]
    assert summary["vocabulary_size"] == 30
    assert summary["training"]["source"] == "Keras fixture bilstm_lstm_softmax_post"


def test_fixture_tool_errors(fixture_tool, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run_cli(fixture_tool, str(bad), "--output", str(tmp_path / "x.textrnn"), check=False)
    assert result.returncode != 0 and "bad.json" in result.stderr.decode()


def test_c_example_reads_raw_lines_like_the_cli(classify, cli, softmax_bundle, model):
    # Every line is a text, blank ones included; LF and CR LF end lines; NUL and invalid UTF-8
    # bytes are part of the text.
    data = b"t2 t3\n\nt4\x00t5\r\n\xff t6\nt7"
    texts = [b"t2 t3", b"", b"t4\x00t5", b"\xff t6", b"t7"]
    result = subprocess.run([str(classify), str(softmax_bundle)], input=data, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [[np.float32(p) for p in row["probabilities"].values()] for row in rows] == [
        [np.float32(p) for p in model.predict_one(text)] for text in texts
    ]
    cli_rows = [json.loads(line) for line in run_cli(cli, "predict", str(softmax_bundle), input=data).stdout.splitlines()]
    assert [row["label"] for row in rows] == [row["label"] for row in cli_rows]
    assert [{k: np.float32(v) for k, v in row["probabilities"].items()} for row in rows] == [
        {k: np.float32(v) for k, v in row["probabilities"].items()} for row in cli_rows
    ]


def test_c_example_stops_at_an_over_limit_line(classify, softmax_bundle, tmp_path):
    # 300 lines: the failing one sits in the second batch of 256, after printed results.
    lines = [b"t2"] * 299
    lines.insert(270, b"x" * (64 * 1024 * 1024 + 1))
    path = tmp_path / "texts.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = subprocess.run([str(classify), str(softmax_bundle), str(path)], capture_output=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.decode() == (
        f"classify: {path}:271: textrnn_predict: text of 67108865 bytes exceeds TEXTRNN_MAX_TEXT_BYTES (67108864)\n"
    )
    assert len(result.stdout.decode().splitlines()) == 270


def test_c_example_missing_bundle(classify, tmp_path):
    result = subprocess.run([str(classify), str(tmp_path / "none.textrnn")], input=b"", capture_output=True)
    assert result.returncode == 1
    assert result.stderr.decode().startswith("classify: textrnn_load: ")

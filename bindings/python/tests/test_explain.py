"""Occlusion explanations through the C ABI (textrnn_explain), the Python binding
(Model.explain) and the CLI (`textrnn explain`), on a bundle trained on real IMDB reviews.

Every contribution must equal, exactly, the probability drop computed independently here:
replace the word in the text by an unknown word and predict that text (the same ids as occluding
the word's token). The bundle has a bag branch that reads the whole text (format version 3), so
words past the sequence length are seen too."""

from __future__ import annotations

import csv
import ctypes
import json
import os
import re
import subprocess
from pathlib import Path
from typing import List

import numpy as np
import pytest

from conftest import run_cli
import textrnn

PUNCTUATION = set(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _standardize(word: bytes) -> bytes:
    """Keras lower_and_strip_punctuation on ASCII, written independently of the library."""
    return bytes(b + 32 if 65 <= b <= 90 else b for b in word if b not in PUNCTUATION and b != 0)


def _reviews(test_csv: Path, count: int) -> List[str]:
    with open(test_csv, newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)][:count]


@pytest.fixture(scope="module")
def imdb(imdb_bundle, imdb_test):
    bundle, test = imdb_bundle, imdb_test
    with textrnn.load(bundle) as model:
        manifest = json.loads((bundle / "manifest.json").read_text())
        yield model, bundle, test, manifest


UNKNOWN_WORD = b"qqqzzzunknown"


def _whole_text_bag(manifest: dict) -> bool:
    return "bag" in manifest and manifest["format_version"] >= 3


def _independent(model: textrnn.Model, manifest: dict, text: str, label: int):
    """(probability, [(contribution, seen)]) by replacing each word of the text by hand."""
    config = manifest["text"]
    assert config["ngrams"] == 1 and config["padding"] == "post" and config["truncating"] == "post"
    assert _standardize(UNKNOWN_WORD).decode() not in manifest["text"]["vocabulary"]
    probability = model.predict_one(text)[label]
    data = text.encode()
    if config.get("replace_html_breaks"):
        data = re.sub(rb"<[bB][rR] ?/?>", b" ", data)
    words = [m for m in re.finditer(rb"[^ \t\n\v\f\r]+", data) if _standardize(m.group())]
    result = []
    for position, word in enumerate(words):
        occluded = data[: word.start()] + UNKNOWN_WORD + data[word.end() :]
        drop = np.float32(probability) - np.float32(model.predict_one(occluded)[label])
        result.append((float(drop), position < config["sequence_length"] or _whole_text_bag(manifest)))
    return probability, result


def test_contributions_equal_the_independent_computation(imdb):
    model, _, test, manifest = imdb
    vocabulary = {token.encode(): index for index, token in enumerate(manifest["text"]["vocabulary"])}
    for text in _reviews(test, 6) + ["Great film!", "", "  ...  "]:
        predicted = model.predict_one(text)
        label = int(np.argmax(predicted))
        words = model.explain(text)
        probability, expected = _independent(model, manifest, text, label)
        assert probability == predicted[label]
        assert [(w.contribution, w.seen) for w in words] == expected
        data = text.encode()
        ids = model.tokenize(text)
        for position, word in enumerate(words):
            piece = data[word.offset : word.offset + word.length]
            assert word.word == piece.decode("utf-8", "replace")
            # The span starts and ends on a kept byte and standardizes to the token the model saw.
            assert piece[:1] not in (b" ",) and piece[0] not in PUNCTUATION and piece[-1] not in PUNCTUATION
            if position < manifest["text"]["sequence_length"]:
                assert vocabulary.get(_standardize(piece), 1) == ids[position]


def test_every_label_and_padding_occlusion(imdb):
    model, _, test, manifest = imdb
    text = _reviews(test, 1)[0]
    for label in range(len(model.labels)):
        by_index = model.explain(text, label=label)
        by_name = model.explain(text, label=model.labels[label], threads=1)
        assert by_index == by_name
        assert [(w.contribution, w.seen) for w in by_index] == _independent(model, manifest, text, label)[1]
    # Padding occlusion by ids: a text within the sequence, whose ids are all the bag reads too.
    text = " ".join(text.split()[: manifest["text"]["sequence_length"] // 2])
    padded = model.explain(text, occlusion="padding")
    ids = model.tokenize(text)
    label = int(np.argmax(model.predict_one(text)))
    probability = np.float32(model.predict_ids(ids)[label])
    for position, word in enumerate(padded[:20]):
        occluded = list(ids)
        occluded[position] = 0
        assert word.contribution == float(probability - np.float32(model.predict_ids(occluded)[label]))


def test_words_past_the_sequence_reach_only_the_bag(imdb):
    model, _, _, manifest = imdb
    assert _whole_text_bag(manifest)
    length = manifest["text"]["sequence_length"]
    text = " ".join(["good"] * (length + 7))
    words = model.explain(text)
    assert len(words) == length + 7 and all(w.seen for w in words)
    # Past the sequence every "good" changes only the bag's count: the same drop for each.
    assert len({w.contribution for w in words[length:]}) == 1 and words[length].contribution != 0.0
    label = int(np.argmax(model.predict_one(text)))
    assert [(w.contribution, w.seen) for w in words] == _independent(model, manifest, text, label)[1]


def test_c_abi_capacity_and_bad_arguments(imdb, lib):
    model, _, _, _ = imdb
    text = b"A truly wonderful, moving film. Not boring at all!"
    count, label, probability = ctypes.c_size_t(0), ctypes.c_size_t(99), ctypes.c_float(0)
    PREDICTED = ctypes.c_size_t(-1).value
    handle = model._model

    def explain(*args):
        return lib.textrnn_explain(*args)

    assert explain(handle, text, len(text), PREDICTED, 0, 1, None, 0, ctypes.byref(count), ctypes.byref(label), ctypes.byref(probability)) == 0
    assert count.value == 9
    assert label.value == int(np.argmax(model.predict_one(text))) and probability.value == max(model.predict_one(text))
    full = model.explain(text)
    # snprintf-style: a smaller capacity writes a prefix and still reports the full count.
    words = (textrnn._WordContribution * 4)()
    assert explain(handle, text, len(text), PREDICTED, 0, 2, words, 3, ctypes.byref(count), None, None) == 0
    assert count.value == 9
    assert [(w.offset, w.length, w.contribution) for w in words[:3]] == [(f.offset, f.length, f.contribution) for f in full[:3]]
    assert words[3].length == 0, "nothing written past capacity"

    cases = [
        ((None, text, len(text), PREDICTED, 0, 1, words, 4, ctypes.byref(count), None, None), 1, "model is NULL"),
        ((handle, text, len(text), PREDICTED, 0, 1, words, 4, None, None, None), 1, "out_count is NULL"),
        ((handle, text, len(text), PREDICTED, 0, 1, None, 4, ctypes.byref(count), None, None), 1, "words is NULL but capacity is 4"),
        ((handle, text, len(text), 2, 0, 1, words, 4, ctypes.byref(count), None, None), 1, "label 2 is outside 0..<2"),
        ((handle, text, len(text), PREDICTED, 7, 1, words, 4, ctypes.byref(count), None, None), 1, "occlusion 7"),
        ((handle, None, 5, PREDICTED, 0, 1, words, 4, ctypes.byref(count), None, None), 1, "text is NULL but its size is 5"),
        ((handle, text, textrnn.MAX_TEXT_BYTES + 1, PREDICTED, 0, 1, words, 4, ctypes.byref(count), None, None), 5, "exceeds TEXTRNN_MAX_TEXT_BYTES"),
    ]
    for args, status, fragment in cases:
        count.value = 12345
        assert explain(*args) == status, fragment
        message = lib.textrnn_last_error().decode()
        assert message.startswith("textrnn_explain: ") and fragment in message, message
        assert count.value == 12345, "outputs untouched on failure"
    with pytest.raises(ValueError):
        model.explain(text, label="no such label")
    with pytest.raises(ValueError):
        model.explain(text, occlusion="remove")


def _cli_json(cli, bundle, *args: str, input: bytes | None = None) -> List[dict]:
    out = run_cli(cli, "explain", str(bundle), "--format", "json", *args, input=input).stdout.decode()
    return [json.loads(line) for line in out.splitlines()]


def test_cli_json_matches_the_binding(imdb, cli):
    model, bundle, test, _ = imdb
    texts = [" ".join(t.split()) for t in _reviews(test, 3)] + ["Ünïcödé GREAT film, not bad!!"]
    from_stdin = _cli_json(cli, bundle, "--top", "3", input="".join(t + "\n" for t in texts).encode())
    from_args = _cli_json(cli, bundle, "--top", "3", *texts)
    assert from_stdin == from_args and len(from_args) == len(texts)
    for text, row in zip(texts, from_args):
        words = model.explain(text)
        label, probability = model.predict(text)
        assert row["label"] == label and np.float32(row["probability"]) == np.float32(probability)
        assert [(w["word"], w["offset"], w["length"], w["seen"]) for w in row["words"]] == [
            (w.word, w.offset, w.length, w.seen) for w in words
        ]
        assert [np.float32(w["contribution"]) for w in row["words"]] == [np.float32(w.contribution) for w in words]
        strongest = sorted((w for w in words if w.seen and w.contribution != 0), key=lambda w: -abs(w.contribution))[:3]
        assert [w["word"] for w in row["top"]] == [w.word for w in strongest]
    other = model.labels[1 - model.labels.index(from_args[0]["label"])]
    chosen = _cli_json(cli, bundle, "--label", other, texts[0])[0]
    assert chosen["label"] == other
    assert [np.float32(w["contribution"]) for w in chosen["words"]] == [
        np.float32(w.contribution) for w in model.explain(texts[0], label=other)
    ]


def test_cli_text_output_and_colour(imdb, cli):
    _, bundle, _, _ = imdb
    text = "What a wonderful, moving film. The plot was boring though."
    plain = run_cli(cli, "explain", str(bundle), text, "--top", "2").stdout.decode()
    assert "\x1b[" not in plain, "no colour when stdout is a pipe"
    lines = plain.splitlines()
    assert lines[1] == text and len(lines) == 4
    colored = run_cli(cli, "explain", str(bundle), text, "--color", "always").stdout.decode()
    assert "\x1b[48;5;" in colored and re.sub(r"\x1b\[[0-9;]*m", "", colored.splitlines()[1]) == text
    # NO_COLOR wins over a terminal under --color auto: run through a pseudo-terminal.
    import pty

    for no_color, expect_colour in (("1", False), ("", True)):
        env = dict(os.environ, NO_COLOR=no_color)
        primary, secondary = pty.openpty()
        process = subprocess.Popen([str(cli), "explain", str(bundle), text], stdout=secondary, stderr=subprocess.PIPE, env=env)
        os.close(secondary)
        output = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=60) == 0
        os.close(primary)
        assert (b"\x1b[" in output) == expect_colour, (no_color, output)


def test_cli_errors(imdb, cli):
    _, bundle, _, _ = imdb
    result = run_cli(cli, "explain", str(bundle), "x", "--label", "maybe", check=False)
    assert result.returncode == 1 and b"--label maybe: the model's labels are" in result.stderr
    result = run_cli(cli, "explain", str(bundle) + "-missing", "x", check=False)
    assert result.returncode == 1 and b"manifest.json" in result.stderr


def test_sanity_positive_review_top_words(imdb):
    """Not an assertion on model quality: prints the strongest words of a clearly positive review."""
    model, _, _, _ = imdb
    text = ("This is one of the best films I have ever seen. The acting is wonderful, the story is "
            "beautiful and moving, and the ending is perfect. A great, excellent movie that I loved.")
    words = model.explain(text, label="positive")
    strongest = sorted(words, key=lambda w: -w.contribution)[:8]
    print("\nstrongest words for 'positive':", [(w.word, round(w.contribution, 4)) for w in strongest])
    assert len(words) == len(text.split())

"""The scikit-learn style surface: classes_, predict on many texts, predict_proba, top_k."""

from __future__ import annotations

import numpy as np

import textrnn

TEXTS = ["t2 t3", "t4 t5 t6 t7", "", "t9 t9 t9", b"t12 \xff t13", "t20 t21 t22 t23 t24 t25 t26 t27 t28"]


def test_classes_are_the_probability_columns(model):
    assert isinstance(model.classes_, np.ndarray)
    assert model.classes_.tolist() == model.labels == ["0", "1", "2"]


def test_predict_many_gives_one_label_per_text(model):
    labels = model.predict(TEXTS)
    probabilities = model.predict_proba(TEXTS)
    assert isinstance(labels, np.ndarray) and labels.shape == (len(TEXTS),)
    assert labels.tolist() == model.classes_[probabilities.argmax(axis=1)].tolist()
    assert labels.tolist() == [model.predict(text)[0] for text in TEXTS]


def test_predict_accepts_any_iterable_and_threads(model):
    expected = model.predict(TEXTS).tolist()
    assert model.predict(text for text in TEXTS).tolist() == expected
    assert model.predict(tuple(TEXTS), threads=3).tolist() == expected
    assert model.predict([]).shape == (0,)


def test_predict_one_text_keeps_the_label_and_probability_pair(model):
    label, probability = model.predict("t2 t3")
    assert label == model.labels[int(np.argmax(model.predict_one("t2 t3")))]
    assert probability == max(model.predict_one("t2 t3"))


def test_softmax_rows_sum_to_one(model):
    assert model.output == "softmax"
    rows = model.predict_proba(TEXTS)
    assert rows.shape == (len(TEXTS), len(model.classes_))
    assert np.allclose(rows.sum(axis=1), 1.0, atol=1e-6) and (rows >= 0).all()


def test_binary_sigmoid_rows_sum_to_one(imdb_bundle):
    # Two labels train a binary sigmoid: the columns are 1 - p and p.
    with textrnn.load(imdb_bundle) as model:
        assert model.output == "binary_sigmoid"
        rows = model.predict_proba(["a great film", "dull and far too long", "", "the plot"])
        assert model.classes_.tolist() == ["negative", "positive"]
        assert np.allclose(rows.sum(axis=1), 1.0, atol=1e-6)


def test_top_k_agrees_with_predict_proba(model):
    row = model.predict_proba(["t2 t9 t20"])[0]
    ranked = sorted(range(len(row)), key=lambda i: (-row[i], i))
    assert model.top_k("t2 t9 t20", 2) == [(model.labels[i], float(row[i])) for i in ranked[:2]]


def test_without_numpy_labels_are_lists(model, monkeypatch):
    expected = model.predict(TEXTS).tolist()
    monkeypatch.setattr(textrnn, "_np", None)
    assert model.classes_ == ["0", "1", "2"]
    assert model.predict(TEXTS) == expected
    assert model.predict([]) == []

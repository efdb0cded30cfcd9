"""textrnn.TextRNNClassifier as a scikit-learn estimator: parameters from the trainer's table,
clone, pickle, Pipeline, cross_val_score and GridSearchCV on real text, and the estimator
checks that apply to an estimator whose X is a sequence of texts."""

from __future__ import annotations

import csv
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import estimator_checks

import textrnn
from conftest import DATA, slice_dataset

SMALL = dict(epochs=1, units=(8,), embedding_dim=8, max_tokens=2000, threads=1)


@pytest.fixture(scope="module")
def imdb(tmp_path_factory):
    """120 reviews of each label, interleaved (the shared CSV is grouped by label)."""
    path = slice_dataset(DATA / "imdb" / "train.csv", tmp_path_factory.mktemp("imdb") / "train.csv", per_label=120)
    with open(path, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    order = np.random.default_rng(0).permutation(len(table))
    return [table[i]["text"] for i in order], np.array([table[i]["label"] for i in order])


def test_parameters_are_the_trainer_hyperparameters_plus_verbose():
    params = textrnn.TextRNNClassifier().get_params()
    assert set(params) == set(textrnn.hyperparameters()) | {"verbose"}
    assert all(value is None for name, value in params.items() if name != "verbose")
    assert textrnn.TextRNNClassifier.hyperparameter_defaults == textrnn.hyperparameters()
    with pytest.raises(TypeError, match="unknown parameter"):
        textrnn.TextRNNClassifier(no_such_parameter=1)


@pytest.mark.parametrize("check", [
    estimator_checks.check_parameters_default_constructible,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
], ids=lambda check: check.__name__)
def test_estimator_checks_for_parameters(check):
    # The checks that fit feed numeric 2-D arrays, which a text classifier does not take.
    check("TextRNNClassifier", textrnn.TextRNNClassifier(**SMALL))


def test_fit_predict_score_and_integer_classes(imdb):
    texts, labels = imdb
    numeric = np.where(labels == "positive", 10, 2)  # ints, with "10" > "2" only numerically
    classifier = textrnn.TextRNNClassifier(**SMALL).fit(texts, numeric)
    assert classifier.classes_.tolist() == [2, 10]
    probabilities = classifier.predict_proba(texts[:20])
    assert probabilities.shape == (20, 2) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-6)
    predicted = classifier.predict(texts[:20])
    assert predicted.dtype == numeric.dtype and set(predicted) <= {2, 10}
    assert predicted.tolist() == classifier.classes_[probabilities.argmax(axis=1)].tolist()
    # Column order is classes_'s: the model's own label order, mapped by name.
    model_rows = classifier.model_.predict_proba(texts[:20])
    for column, label in enumerate(classifier.model_.labels):
        assert np.array_equal(probabilities[:, classifier.classes_.tolist().index(int(label))], model_rows[:, column])
    assert 0 <= classifier.score(texts, numeric) <= 1


def test_clone_and_pickle(imdb):
    texts, labels = imdb
    classifier = textrnn.TextRNNClassifier(**SMALL, seed=3)
    copy = clone(classifier)
    assert copy.get_params() == classifier.get_params() and not hasattr(copy, "classes_")
    classifier.fit(texts, labels)
    restored = pickle.loads(pickle.dumps(classifier))
    assert "model_" not in classifier.__getstate__(), "pickled as the bundle's bytes, not a library handle"
    assert np.array_equal(restored.predict_proba(texts[:30]), classifier.predict_proba(texts[:30]))
    assert restored.classes_.tolist() == ["negative", "positive"]
    assert np.array_equal(clone(classifier).fit(texts, labels).predict_proba(texts[:30]), classifier.predict_proba(texts[:30]))


def test_pipeline_cross_val_score_and_grid_search(imdb):
    texts, labels = imdb
    pipeline = make_pipeline(FunctionTransformer(lambda batch: [text.replace("<br />", " ") for text in batch]),
                             textrnn.TextRNNClassifier(**SMALL))
    scores = cross_val_score(pipeline, texts, labels, cv=StratifiedKFold(3))
    assert scores.shape == (3,) and ((0 <= scores) & (scores <= 1)).all()
    search = GridSearchCV(textrnn.TextRNNClassifier(**SMALL), {"units": [(4,), (8,)], "bag": [True]}, cv=2)
    search.fit(texts, labels)
    assert search.best_params_["units"] in [(4,), (8,)]
    assert search.best_estimator_.predict(texts[:5]).shape == (5,)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="one text"):
        textrnn.TextRNNClassifier(**SMALL).fit("just one text", ["a"])
    with pytest.raises(ValueError, match=r"X\[1\] is int"):
        textrnn.TextRNNClassifier(**SMALL).fit(["a", 3], ["x", "y"])
    with pytest.raises(ValueError, match="X has 3 texts but y has 2 labels"):
        textrnn.TextRNNClassifier(**SMALL).fit(["a", "b", "c"], ["x", "y"])

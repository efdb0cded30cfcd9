"""``TextRNNClassifier``: a scikit-learn estimator over :func:`textrnn.train`.

    >>> from textrnn import TextRNNClassifier
    >>> classifier = TextRNNClassifier(epochs=3, units=(32,)).fit(texts, labels)
    >>> classifier.predict(["a wonderful film"]), classifier.score(test_texts, test_labels)

X is a sequence of texts (str or bytes), y their labels (any hashable values whose ``str`` are
distinct, such as ints or strings); ``classes_`` keeps them as given. It works in
``Pipeline``, ``cross_val_score`` and ``GridSearchCV``, is cloned by ``sklearn.base.clone`` and
pickles as its parameters plus its bundle's bytes (``bundle_``).

Its parameters are the trainer's hyperparameters (:func:`textrnn.hyperparameters`, read from the
trainer library, the one table of them) plus ``verbose``. Each defaults to None: not set, the
trainer's default or the data-aware recipe's choice applies, exactly as ``textrnn train``
without that flag; the defaults are listed in :attr:`TextRNNClassifier.hyperparameter_defaults`.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Dict, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from . import load_from_memory
from .trainer import ProgressEvent, hyperparameters, train

__all__ = ["TextRNNClassifier"]

_HYPERPARAMETERS: Dict[str, Any] = hyperparameters()
_OTHER_PARAMETERS = {"verbose": False}


def _texts(X: Any) -> list:
    if isinstance(X, (str, bytes)):
        raise ValueError("X must be a sequence of texts, not one text (wrap it in a list)")
    if isinstance(X, np.ndarray) and X.ndim != 1:
        raise ValueError(f"X must be a 1-D sequence of texts; got an array of shape {X.shape}")
    texts = list(X)
    for index, text in enumerate(texts):
        if not isinstance(text, (str, bytes)):
            raise ValueError(f"X[{index}] is {type(text).__name__}, not a text (str or bytes)")
    return texts


class TextRNNClassifier(ClassifierMixin, BaseEstimator):
    hyperparameter_defaults: Dict[str, Any] = dict(_HYPERPARAMETERS)
    """The trainer's default of every hyperparameter (None: unset)."""

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(_HYPERPARAMETERS) - set(_OTHER_PARAMETERS))
        if unknown:
            raise TypeError(f"unknown parameter(s) {', '.join(unknown)}")
        for name in _HYPERPARAMETERS:
            setattr(self, name, params.get(name))
        for name, default in _OTHER_PARAMETERS.items():
            setattr(self, name, params.get(name, default))

    def _hyperparameters(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in _HYPERPARAMETERS if getattr(self, name) is not None}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def fit(self, X: Sequence[Any], y: Sequence[Any]) -> "TextRNNClassifier":
        """Trains on the texts X with labels y (hyperparameters: this estimator's parameters)."""
        texts = _texts(X)
        targets = np.asarray(y)
        if targets.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per text); got shape {targets.shape}")
        if len(texts) != len(targets):
            raise ValueError(f"X has {len(texts)} texts but y has {len(targets)} labels")
        classes = np.unique(targets)
        names = [str(value) for value in classes]
        if len(set(names)) != len(names):
            raise ValueError(f"labels must have distinct str() values; {classes.tolist()} do not")
        progress = self._print_progress if self.verbose else None
        model = train(texts, [str(value) for value in targets], progress=progress, **self._hyperparameters())
        column = {name: index for index, name in enumerate(names)}
        # Probability column j of the model is class model.labels[j]; classes_ order is np.unique's.
        self.classes_ = classes
        self.bundle_ = model.bundle_bytes
        self._set_model(model, [column[label] for label in model.labels])
        return self

    @staticmethod
    def _print_progress(event: ProgressEvent) -> None:
        if event.kind != "batch":
            print(event.message, file=sys.stderr, flush=True)

    def _set_model(self, model: Any, columns: Sequence[int]) -> None:
        self.model_ = model
        self._columns = np.asarray(columns)

    def predict_proba(self, X: Sequence[Any]) -> np.ndarray:
        """Probabilities, one column per class of ``classes_`` (float32)."""
        check_is_fitted(self, "model_")
        rows = self.model_.predict_proba(_texts(X))
        result = np.empty_like(rows)
        result[:, self._columns] = rows
        return result

    def predict(self, X: Sequence[Any]) -> np.ndarray:
        """The most probable class of each text (ties: the first in ``classes_``)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    # -- pickling: the parameters, classes_ and the bundle's bytes, not the loaded model.

    def __getstate__(self) -> Dict[str, Any]:
        return {key: value for key, value in super().__getstate__().items() if key not in ("model_", "_columns")}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state)
        if "bundle_" in state:
            model = load_from_memory(*self.bundle_)
            column = {str(value): index for index, value in enumerate(self.classes_)}
            self._set_model(model, [column[label] for label in model.labels])


# get_params, set_params and clone read the parameters off __init__'s signature: make it the
# trainer's hyperparameters (each None: unset) plus the estimator's own.
TextRNNClassifier.__init__.__signature__ = inspect.Signature(
    [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None) for name in _HYPERPARAMETERS]
    + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value) for name, value in _OTHER_PARAMETERS.items()]
)
TextRNNClassifier.__doc__ = "A recurrent text classifier (scikit-learn estimator); see :mod:`textrnn.sklearn`.\n\n" + (
    "Parameters (default None = the trainer's default, shown, or the data-aware recipe's choice):\n"
    + "\n".join(f"    {name}: {default!r}" for name, default in _HYPERPARAMETERS.items())
    + "\n    verbose: False (print progress messages on stderr)\n"
)

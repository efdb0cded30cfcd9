"""Acceptance: every case in models/ is turned into a bundle (the textrnn-fixture developer tool),
loaded through the C ABI, and reproduces Keras's probabilities within 1e-5."""

from __future__ import annotations

import pytest

import textrnn
from conftest import FIXTURES, load_fixture, model_fixture_paths

EXPECTED_CASES = 24
NAMES = [path.stem for path in model_fixture_paths()]


def test_all_fixture_cases_present(fixture_models):
    assert len(fixture_models) == EXPECTED_CASES, f"{FIXTURES}/models holds {len(fixture_models)} cases"


@pytest.mark.parametrize("name", NAMES or ["<no fixtures found>"])
def test_fixture_reproduces_keras(name, bundles, fixture_models):
    assert name in bundles, f"fixture {name} missing from {FIXTURES}"
    fixture = load_fixture(fixture_models[name])
    with textrnn.load(bundles[name]) as model:
        assert model.sequence_length == len(fixture["token_ids"][0])
        assert len(fixture["token_ids"]) == 4
        for row, (ids, expected) in enumerate(zip(fixture["token_ids"], fixture["probabilities"])):
            probabilities = model.predict_ids(ids)
            if not isinstance(expected, list):
                expected = [expected]
            if model.output == "binary_sigmoid":
                assert len(probabilities) == 2
                assert probabilities[0] == pytest.approx(1 - probabilities[1], abs=1e-6)
                actual = [probabilities[1]]
            else:
                actual = probabilities
            assert len(actual) == len(expected)
            for a, e in zip(actual, expected):
                assert abs(a - e) <= 1e-5, f"{name} row {row}: {actual} vs Keras {expected}"

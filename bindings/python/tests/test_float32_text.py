"""float32_text: Swift's Float.description in Python, so `python -m textrnn predict` prints the
bytes `textrnn predict` prints. Checked against numpy's shortest float32 digits (Dragon4)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from textrnn.float32_text import float32_text, shortest_float32_digits


def _edge_values() -> np.ndarray:
    powers = [np.float32(2.0) ** e for e in range(-126, 128)] + [np.float32(2.0 ** -149)]
    beside = [np.nextafter(p, np.float32(0)) for p in powers[1:]] + [np.nextafter(p, np.float32(np.inf)) for p in powers[:-1]]
    decimals = [np.float32(10.0 ** e) for e in range(-45, 39)]
    return np.array(powers + beside + decimals + [np.finfo(np.float32).max, np.finfo(np.float32).tiny], dtype=np.float32)


def test_digits_are_the_shortest_that_read_back():
    rng = np.random.default_rng(7)
    random_bits = rng.integers(1, 0x7F800000, 20_000, dtype=np.uint32).view(np.float32)
    probabilities = rng.random(20_000, dtype=np.float32)
    values = np.concatenate([random_bits, probabilities, _edge_values()])
    values = values[values > 0]
    for value in values:
        significand, exponent = shortest_float32_digits(float(value))
        expected = Decimal(np.format_float_scientific(value, unique=True))
        assert Decimal(significand).scaleb(exponent) == expected, repr(value)
        assert np.float32(f"{significand}e{exponent}") == value


@pytest.mark.parametrize(
    "value, text",
    [
        (0.75, "0.75"), (1.0, "1.0"), (0.0, "0.0"), (-0.0, "-0.0"), (0.5, "0.5"),
        (0.1, "0.1"), (1 / 3, "0.33333334"), (0.0001, "0.0001"), (1e-05, "1e-05"),
        (2.5e-07, "2.5e-07"), (1.2345e-05, "1.2345e-05"), (0.00012, "0.00012"),
        (123456.7, "123456.7"), (16777216.0, "16777216.0"), (16777218.0, "1.6777218e+07"),
        (3.4028235e38, "3.4028235e+38"), (1e-45, "1e-45"), (-0.25, "-0.25"),
        (float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf"),
    ],
)
def test_text_as_swift_writes_it(value, text):
    # Expected strings are Swift 6.3's Float(value).description.
    assert float32_text(float(np.float32(value))) == text

"""Float32 values as text, byte for byte as Swift's ``Float.description`` writes them.

``textrnn predict`` (Swift) prints probabilities with ``Float.description``: the fewest
significant digits that read back to the same float32, the closest such to the exact value.
Python's ``repr`` does that for float64, which takes up to 17 digits for a float32 value, so
``python -m textrnn predict`` uses this module to print the same bytes, without numpy.
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal
from typing import Tuple

__all__ = ["float32_text", "shortest_float32_digits"]

_MAX_DIGITS = 9  # 9 significant digits identify every float32
_EXPONENTIAL_ABOVE = float(1 << 24)  # Swift writes larger magnitudes as d.ddde+XX


def _float32_bits(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def _float32_from_bits(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


class _RoundingInterval:
    """The decimals that read back to one positive float32: those between the midpoints to its
    neighbours, the midpoints included when the significand is even (round half to even)."""

    def __init__(self, value: float) -> None:
        bits = _float32_bits(value)
        below = _float32_from_bits(bits - 1)
        above = _float32_from_bits(bits + 1)
        if math.isinf(above):  # past the largest float32 the spacing stays the same
            above = value + (value - below)
        # Midpoints of float32 values need 25 bits: exact in float64.
        self.low = (below + value) / 2
        self.high = (value + above) / 2
        self.inclusive = bits % 2 == 0
        self.lopsided = bits & 0x7FFFFF == 0 and bits > 0x7FFFFF  # a power of two, not subnormal

    def contains(self, significand: int, exponent: int) -> bool:
        """Whether significand x 10^exponent reads back to the value."""
        text = f"{significand}e{exponent}"
        rounded = float(text)  # correctly rounded, and rounding keeps order
        if self.low < rounded < self.high:
            return True
        if rounded < self.low or rounded > self.high:
            return False
        # Rounded onto a bound: compare the exact decimal with it.
        bound = Decimal(rounded)
        exact = Decimal(text)
        return self.inclusive and exact == bound or self.low < exact < self.high


def _nearest(value: float, digits: int) -> Tuple[int, int]:
    """The `digits`-digit decimal nearest to `value`, as (significand, exponent)."""
    mantissa, exponent = format(value, f".{digits - 1}e").split("e")
    return int(mantissa.replace(".", "")), int(exponent) - (digits - 1)


def shortest_float32_digits(value: float) -> Tuple[int, int]:
    """(significand, exponent) of the decimal with the fewest significant digits that reads
    back to the float32 `value` (finite, > 0), the closest to `value` among those."""
    interval = _RoundingInterval(value)
    if interval.lopsided:
        # Below a power of two the gap is half the gap above, so the nearest decimal can miss
        # while the next one on the other side fits: try both, shortest first.
        for digits in range(1, _MAX_DIGITS + 1):
            significand, exponent = _nearest(value, digits)
            if interval.contains(significand, exponent):
                return significand, exponent
            below = float(f"{significand}e{exponent}") < value
            other = significand + 1 if below else significand - 1
            if interval.contains(other, exponent):
                return other, exponent
        raise AssertionError(f"no {_MAX_DIGITS}-digit decimal reads back to {value!r}")
    # Otherwise the interval is symmetric: if the nearest d-digit decimal fits, so does every
    # nearer one, so the shortest length can be found by bisection.
    low, high = 1, _MAX_DIGITS
    while low < high:
        middle = (low + high) // 2
        if interval.contains(*_nearest(value, middle)):
            high = middle
        else:
            low = middle + 1
    return _nearest(value, low)


def float32_text(value: float) -> str:
    """`value` (a float32, as a Python float) as Swift's Float.description writes it: "0.75",
    "1.0", "0.0001", "1e-05", "2.5e-07", "16777216.0", "3.4028235e+38", "nan", "inf"."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0.0"
    magnitude = abs(value)
    significand, exponent = shortest_float32_digits(magnitude)
    while significand % 10 == 0:
        significand //= 10
        exponent += 1
    digits = str(significand)
    point = len(digits) + exponent  # the value is 0.DIGITS x 10^point
    if point < -3 or magnitude > _EXPONENTIAL_ABOVE:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        scientific = point - 1
        return f"{sign}{mantissa}e{'-' if scientific < 0 else '+'}{abs(scientific):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}.0"
    return f"{sign}{digits[:point]}.{digits[point:]}"

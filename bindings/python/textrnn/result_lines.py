"""The result lines of ``textrnn predict``, byte for byte as the Swift CLI writes them
(``ResultFormatter`` in Sources/TextRNNCLI/PredictCommand.swift)."""

from __future__ import annotations

import math
from typing import List, Optional, Sequence

from .float32_text import float32_text

__all__ = ["json_string", "json_number", "ranked_labels", "ResultFormatter"]

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(value: str) -> str:
    """A JSON string literal as JSONText.quote writes it: control characters and U+2028/U+2029
    escaped, everything else (non-ASCII included) as is."""
    parts = ['"']
    for character in value:
        code = ord(character)
        if character in _ESCAPES:
            parts.append(_ESCAPES[character])
        elif code < 0x20 or code in (0x2028, 0x2029):
            parts.append(f"\\u{code:04x}")
        else:
            parts.append(character)
    parts.append('"')
    return "".join(parts)


def json_number(value: float) -> str:
    """A float32 probability: its shortest exact text, or null when not finite (JSON has no NaN
    or infinity)."""
    return float32_text(value) if math.isfinite(value) else "null"


def ranked_labels(probabilities: Sequence[float]) -> List[int]:
    """Label indices, most probable first; ties (and NaN, ranked last) keep the lower index
    first, the order textrnn_top_k uses."""

    def key(index: int) -> tuple:
        value = probabilities[index]
        return (math.inf if math.isnan(value) else -value, index)

    return sorted(range(len(probabilities)), key=key)


class ResultFormatter:
    """Formats one line per text: ``json`` or ``tsv`` (see ``python -m textrnn predict -h``)."""

    def __init__(self, labels: Sequence[str], output: str, format: str, top_k: Optional[int], threshold: float = 0.5) -> None:
        if format not in ("json", "tsv"):
            raise ValueError(f"format must be json or tsv, not {format!r}")
        self.labels = list(labels)
        self.quoted = [json_string(label) for label in self.labels]
        self.multi_label = output == "multi_label_sigmoid"
        self.format = format
        self.top_k = top_k
        self.threshold = threshold

    def line(self, probabilities: Sequence[float]) -> str:
        """The line (with its newline) for one text's probabilities (float32 values)."""
        ranked = ranked_labels(probabilities)
        if self.format == "tsv" and self.multi_label and self.top_k is None:
            # The predicted label set, most probable first.
            shown = [i for i in ranked if probabilities[i] >= self.threshold]
            return "\t".join(f"{self.labels[i]}\t{json_number(probabilities[i])}" for i in shown) + "\n"
        if self.format == "tsv":
            shown = ranked[: self.top_k or 1]
            return "\t".join(f"{self.labels[i]}\t{json_number(probabilities[i])}" for i in shown) + "\n"
        best = ranked[0]
        parts = [f'{{"label": {self.quoted[best]}, "probability": {json_number(probabilities[best])}']
        if self.multi_label:
            chosen = [self.quoted[i] for i, p in enumerate(probabilities) if p >= self.threshold]
            parts.append(', "labels": [' + ", ".join(chosen) + "]")
        entries = (f"{self.quoted[i]}: {json_number(p)}" for i, p in enumerate(probabilities))
        parts.append(', "probabilities": {' + ", ".join(entries) + "}")
        if self.top_k is not None:
            top = (
                f'{{"label": {self.quoted[i]}, "probability": {json_number(probabilities[i])}}}'
                for i in ranked[: self.top_k]
            )
            parts.append(', "top_k": [' + ", ".join(top) + "]")
        parts.append("}\n")
        return "".join(parts)

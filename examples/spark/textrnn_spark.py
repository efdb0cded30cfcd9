"""Executor side of the Spark scoring example: one loaded model per Python worker process, and
the function that scores one partition in batches.

This module must be imported by the executors (score.py ships it with ``addPyFile``), not
pickled with the job: cloudpickle serializes functions of ``__main__`` by value, module globals
included, so a cache defined in the driver script would arrive empty with every task. Living in
an importable module, ``_MODELS`` survives from one task to the next as long as Spark reuses the
Python worker (``spark.python.worker.reuse``, on by default).
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import textrnn
from pyspark import SparkFiles, TaskContext
from pyspark.accumulators import AccumulatorParam

_MODELS: Dict[str, textrnn.Model] = {}
_LOADS: Dict[str, int] = {}
_PARTITIONS_SCORED = 0  # by this process; shows in the stats that the cache outlived a task
_LOCK = threading.Lock()

# Parquet refuses these characters in column names; CSV headers and JSON keys do not care, but
# one naming rule for every format keeps the output schema the same whatever is written.
_UNSAFE_COLUMN_CHARACTERS = re.compile(r"[ ,;{}()\n\t=]")


class ScoringError(Exception):
    """A row that cannot be scored; the message names the input and the row."""


class BundleRef:
    """Where an executor finds the bundle: a path every node can read (a shared filesystem),
    or the name of a directory shipped with ``SparkContext.addFile`` / ``--files``."""

    def __init__(self, path: Optional[str] = None, spark_file: Optional[str] = None) -> None:
        if (path is None) == (spark_file is None):
            raise ValueError("give exactly one of path and spark_file")
        self.path = path
        self.spark_file = spark_file

    def resolve(self) -> str:
        """The bundle's path on this machine."""
        if self.spark_file is not None:
            return SparkFiles.get(self.spark_file)
        assert self.path is not None
        return self.path


def cached_model(path: str) -> textrnn.Model:
    """The model at `path`, loaded at most once per process. A model is immutable and
    thread-safe, so the one instance serves every task this process runs."""
    key = os.path.realpath(path)
    model = _MODELS.get(key)
    if model is None:
        with _LOCK:
            model = _MODELS.get(key)
            if model is None:
                model = textrnn.load(key)
                _MODELS[key] = model
                _LOADS[key] = _LOADS.get(key, 0) + 1
    return model


def load_count(path: str) -> int:
    """How many times this process has loaded the bundle at `path` (1 once it is cached)."""
    return _LOADS.get(os.path.realpath(path), 0)


def probability_columns(labels: Sequence[str]) -> List[str]:
    """One output column per label, ``p_<label>``, with characters Parquet refuses replaced by
    ``_`` and a numeric suffix if two labels then collide."""
    columns: List[str] = []
    taken = set()
    for label in labels:
        base = "p_" + _UNSAFE_COLUMN_CHARACTERS.sub("_", label)
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        columns.append(name)
    return columns


class PartitionStatsParam(AccumulatorParam):
    """Accumulates one record per scored partition (see :func:`score_partition`)."""

    def zero(self, value: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        return []

    def addInPlace(self, first: List[Dict[str, Any]], second: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        first.extend(second)
        return first


def _task_cpus() -> int:
    context = TaskContext.get()
    return max(context.cpus(), 1) if context is not None else 1


def _best(probabilities: Sequence[float]) -> int:
    # Ties go to the first label, as in the CLI and textrnn.Model.predict.
    return max(range(len(probabilities)), key=lambda i: (probabilities[i], -i))


def score_partition(
    rows: Iterable[Tuple[Any, Optional[str], Tuple[Any, ...]]],
    bundle: BundleRef,
    input_name: str,
    batch_size: int,
    threads: Optional[int],
    stats: Any = None,
) -> Iterator[Tuple[Any, ...]]:
    """Scores ``(id, text, kept_values)`` rows in batches of `batch_size` texts and yields
    ``(id, *kept_values, predicted_label, probability, p_1, ..., p_n)``.

    `threads`: batch threads per task; None = the task's CPUs (``spark.task.cpus``).
    `stats`: an accumulator of :class:`PartitionStatsParam`, or None; each partition adds
    ``{"partition", "pid", "rows", "loads", "sequence"}``: ``loads`` is this process's load
    count for the bundle after the partition (1 wherever the cache worked), ``sequence`` the
    number of partitions this process has scored so far (1, 2, ... when Python workers are
    reused; always 1 if module state were lost between tasks).
    """
    global _PARTITIONS_SCORED
    path = bundle.resolve()
    model = cached_model(path)
    labels = model.labels
    workers = threads if threads is not None else _task_cpus()
    count = 0
    batch: List[Tuple[Any, Optional[str], Tuple[Any, ...]]] = []

    def flush() -> Iterator[Tuple[Any, ...]]:
        for row_id, text, _ in batch:
            if text is None:
                raise ScoringError(f"{input_name}: row {row_id!r}: the text is missing (null)")
        try:
            probabilities = model.predict_proba([text for _, text, _ in batch], threads=workers)
        except textrnn.TextRNNError as error:
            raise ScoringError(f"{input_name}: rows {batch[0][0]!r}..{batch[-1][0]!r}: {error.message}") from error
        for (row_id, _, kept), row in zip(batch, probabilities):
            values = [float(p) for p in row]
            best = _best(values)
            yield (row_id, *kept, labels[best], values[best], *values)

    for row in rows:
        batch.append(row)
        count += 1
        if len(batch) == batch_size:
            yield from flush()
            batch = []
    if batch:
        yield from flush()
    _PARTITIONS_SCORED += 1
    if stats is not None:
        context = TaskContext.get()
        stats.add([{
            "partition": context.partitionId() if context is not None else -1,
            "pid": os.getpid(),
            "rows": count,
            "loads": load_count(path),
            "sequence": _PARTITIONS_SCORED,
        }])

#!/usr/bin/env python3
"""Scores a text collection with a TextRNN bundle on Apache Spark (the driver side).

    spark-submit examples/spark/score.py --bundle imdb.textrnn --input reviews.csv \\
        --output scored/ --format parquet

or, with PySpark installed, ``python3 examples/spark/score.py --master 'local[*]' ...``.
Every executor Python worker loads the bundle once (textrnn_spark.py) and scores its partitions
in batches through ``textrnn.Model.predict_proba``. The output is a directory of part files
with one row per input row: the id (``--id-column``, or ``row``, the 0-based position in the
input), the ``--keep`` columns, ``predicted_label``, its ``probability`` and one ``p_<label>``
column per label (float32, as the runtime computed them). See README.md beside this file.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, NoReturn, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
FORMATS = ("csv", "tsv", "jsonl", "parquet")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
              ".parquet": "parquet"}


def fail(message: str, status: int = 1) -> NoReturn:
    print(f"score.py: error: {message}", file=sys.stderr)
    sys.exit(status)


def parse_arguments(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", required=True, help="the bundle directory (NAME.textrnn)")
    parser.add_argument("--input", required=True, help="file or directory of texts (any Spark path)")
    parser.add_argument("--output", required=True, help="output directory (Spark part files)")
    parser.add_argument("--input-format", choices=FORMATS, help="default: from the input's extension")
    parser.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv", help="output format")
    parser.add_argument("--text-column", default="text", help="column holding the texts (default: text)")
    parser.add_argument("--id-column", help="column identifying rows; default: row, the 0-based input position "
                             "(numbering costs one extra pass over the input)")
    parser.add_argument("--keep", action="append", default=[], metavar="COLUMN",
                        help="copy this input column to the output (repeatable)")
    parser.add_argument("--ship-bundle", action="store_true",
                        help="send the bundle to the executors with SparkContext.addFile instead of "
                             "reading --bundle at the same path on every node")
    parser.add_argument("--partitions", type=int, help="repartition the rows into N partitions before scoring")
    parser.add_argument("--batch-size", type=int, default=256, help="texts per predict_proba call (default 256)")
    parser.add_argument("--threads", type=int, help="batch threads per task (default: spark.task.cpus)")
    parser.add_argument("--master", help="Spark master, e.g. local[4]; default: spark-submit's, else local[*]")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    parser.add_argument("--stats", metavar="FILE", help="write per-partition statistics (pid, rows, loads) as JSON")
    args = parser.parse_args(argv)
    for name in ("partitions", "batch_size", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def input_format(path: str, given: Optional[str]) -> str:
    if given:
        return given
    found = EXTENSIONS.get(Path(path.rstrip("/")).suffix.lower())
    if found is None:
        fail(f"{path}: cannot tell the input format from the extension; give --input-format {'|'.join(FORMATS)}", 2)
    return found


def is_local(path: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path) is None or path.startswith("file://")


def bundle_labels(bundle: str) -> List[str]:
    """Loads the bundle once on the driver: a bad bundle stops here, before any task starts."""
    import textrnn

    try:
        with textrnn.load(bundle) as model:
            return list(model.labels)
    except textrnn.TextRNNError as error:
        fail(f"{bundle}: {error.message}")
    except OSError as error:  # libtextrnn.so itself not found
        fail(str(error))


def read_input(spark: Any, path: str, kind: str) -> Any:
    reader = spark.read.option("mode", "FAILFAST")
    if kind in ("csv", "tsv"):
        # multiLine: a quoted text may span lines. escape '"': RFC 4180 doubles quotes inside
        # quoted fields (Spark's default escape is a backslash). Every column stays a string.
        return (reader.option("header", True).option("multiLine", True).option("escape", '"')
                .option("sep", "\t" if kind == "tsv" else ",").csv(path))
    if kind == "jsonl":
        return reader.json(path)
    return reader.parquet(path)


def check_columns(args: argparse.Namespace, columns: Sequence[str], outputs: Sequence[str]) -> None:
    wanted = [args.text_column] + ([args.id_column] if args.id_column else []) + args.keep
    for column in wanted:
        if column not in columns:
            fail(f"{args.input}: no column {column!r} (columns: {', '.join(columns)})", 2)
    produced = [args.id_column or "row", *outputs]
    for column in args.keep:
        if column in produced:
            fail(f"--keep {column}: the output already has a column of that name", 2)


# Messages of Spark's wrapper exceptions, which say nothing about the cause.
_WRAPPERS = re.compile(r"^(Job aborted due to stage failure|Exception thrown in awaitResult)")


def job_failure(error: BaseException) -> str:
    """One line for a failed Spark job: the ScoringError of the row at fault, else the first
    and the last distinct Java exception messages (the outermost and the root cause, e.g. the
    file Spark was reading and what is wrong in it), else the error's first line."""
    text = str(error)
    scoring = re.search(r"ScoringError: ([^\n]*)", text)
    if scoring:
        return scoring.group(1)
    messages: List[str] = []
    for match in re.finditer(r"^(?:: |Caused by: )?[\w.$]+(?:Exception|Error): (.+)$", text, re.MULTILINE):
        message = re.sub(r"\s*SQLSTATE: \w+\s*$", "", match.group(1)).strip()
        if message and not _WRAPPERS.match(message) and message not in messages:
            messages.append(message)
    if not messages:
        first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
        messages = [re.sub(r"\s*SQLSTATE: \w+\s*$", "", first)]
    detail = messages[0] if len(messages) == 1 else f"{messages[0]} (cause: {messages[-1]})"
    return f"the Spark job failed: {detail}"


def summarize(records: List[Dict[str, Any]]) -> Dict[str, Any]:
    partitions: Dict[str, int] = {}
    loads: Dict[str, int] = {}
    for record in records:
        pid = str(record["pid"])
        partitions[pid] = partitions.get(pid, 0) + 1
        loads[pid] = max(loads.get(pid, 0), record["loads"])
    return {
        "partitions": len(records),
        "rows": sum(record["rows"] for record in records),
        "processes": len(partitions),
        "partitions_per_process": partitions,
        "loads_per_process": loads,
        "records": sorted(records, key=lambda record: record["partition"]),
    }


def id_and_rows(args: argparse.Namespace, frame: Any) -> Tuple[Any, Any]:
    """The id column's schema field and an RDD of ``(id, text, kept_values)``."""
    from pyspark.sql.types import LongType, StructField

    if args.id_column:
        rows = frame.select(args.id_column, args.text_column, *args.keep).rdd.map(
            lambda row: (row[0], row[1], tuple(row[2:])))
        return frame.schema[args.id_column], rows
    # zipWithIndex numbers rows in input order, at the cost of one extra pass over the input.
    rows = frame.select(args.text_column, *args.keep).rdd.zipWithIndex().map(
        lambda pair: (pair[1], pair[0][0], tuple(pair[0][1:])))
    return StructField("row", LongType(), False), rows


def output_schema(id_field: Any, kept_fields: List[Any], probability_columns: List[str]) -> Any:
    from pyspark.sql.types import FloatType, StringType, StructField, StructType

    # FloatType: the runtime's float32 values are stored exactly, and CSV/JSON print them with
    # Java's Float.toString, which reads back to the same float32.
    return StructType([id_field, *kept_fields, StructField("predicted_label", StringType(), False),
                       StructField("probability", FloatType(), False),
                       *[StructField(name, FloatType(), False) for name in probability_columns]])


def write_output(frame: Any, args: argparse.Namespace) -> None:
    writer = frame.write.mode("overwrite" if args.overwrite else "errorifexists")
    if args.format == "csv":
        writer.option("header", True).csv(args.output)
    elif args.format == "jsonl":
        writer.json(args.output)
    else:
        writer.parquet(args.output)


def bundle_reference(context: Any, bundle: str, ship: bool) -> Any:
    import textrnn_spark

    if not ship:
        return textrnn_spark.BundleRef(path=os.path.abspath(bundle))
    # textrnn.load also takes NAME.textrnn/manifest.json: ship the whole directory either way.
    directory = Path(bundle).resolve()
    if directory.is_file():
        directory = directory.parent
    context.addFile(str(directory), recursive=True)
    return textrnn_spark.BundleRef(spark_file=directory.name)


def score(spark: Any, args: argparse.Namespace, kind: str, labels: List[str]) -> Dict[str, Any]:
    """Runs the job; returns the per-partition statistics (see summarize)."""
    context = spark.sparkContext
    context.addPyFile(str(HERE / "textrnn_spark.py"))
    import textrnn_spark

    bundle = bundle_reference(context, args.bundle, args.ship_bundle)
    try:
        frame = read_input(spark, args.input, kind)
    except Exception as error:  # Py4J and PySpark errors share no narrower base class
        fail(job_failure(error))
    probability_columns = textrnn_spark.probability_columns(labels)
    check_columns(args, frame.columns, ["predicted_label", "probability", *probability_columns])
    id_field, rows = id_and_rows(args, frame)
    if args.partitions:
        rows = rows.repartition(args.partitions)

    stats = context.accumulator([], textrnn_spark.PartitionStatsParam())
    scorer = functools.partial(textrnn_spark.score_partition, bundle=bundle, input_name=args.input,
                               batch_size=args.batch_size, threads=args.threads, stats=stats)
    schema = output_schema(id_field, [frame.schema[column] for column in args.keep], probability_columns)
    try:
        write_output(spark.createDataFrame(rows.mapPartitions(scorer), schema), args)
    except Exception as error:
        fail(job_failure(error))
    return summarize(stats.value)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_arguments(argv)
    kind = input_format(args.input, args.input_format)
    if is_local(args.input) and not os.path.exists(args.input.removeprefix("file://")):
        fail(f"{args.input}: no such file or directory", 2)
    labels = bundle_labels(args.bundle)
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        fail("Spark needs Java (17 or newer): no java on PATH and JAVA_HOME is unset "
             "(Debian: apt-get install default-jre-headless)")
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        fail(f"PySpark is not installed ({error}); pip install pyspark")

    builder = SparkSession.builder.appName("textrnn-score").config("spark.ui.showConsoleProgress", "false")
    if args.master:  # else spark-submit's --master, which defaults to local[*]
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    try:
        spark.sparkContext.setLogLevel("WARN")
        summary = score(spark, args, kind, labels)
    finally:
        spark.stop()
    print(f"score.py: {summary['rows']} rows, {summary['partitions']} partitions, "
          f"{summary['processes']} worker processes -> {args.output}", file=sys.stderr)
    if args.stats:
        Path(args.stats).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

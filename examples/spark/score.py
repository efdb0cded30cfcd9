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
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, NoReturn, Optional, Sequence

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
    parser.add_argument("--id-column", help="column identifying rows; default: row, the 0-based input position")
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


def scoring_error(error: BaseException) -> Optional[str]:
    """The ScoringError message inside a failed Spark job, if a row was at fault."""
    match = re.search(r"ScoringError: ([^\n]*)", str(error))
    return match.group(1) if match else None


def summarize(records: List[Dict[str, Any]]) -> Dict[str, Any]:
    partitions_per_pid = Counter(record["pid"] for record in records)
    loads = {str(record["pid"]): max(r["loads"] for r in records if r["pid"] == record["pid"]) for record in records}
    return {
        "partitions": len(records),
        "rows": sum(record["rows"] for record in records),
        "processes": len(partitions_per_pid),
        "partitions_per_process": {str(pid): count for pid, count in partitions_per_pid.items()},
        "loads_per_process": loads,
        "records": sorted(records, key=lambda record: record["partition"]),
    }


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
        from pyspark.sql.types import FloatType, LongType, StringType, StructField, StructType
    except ImportError as error:
        fail(f"PySpark is not installed ({error}); pip install pyspark")

    builder = SparkSession.builder.appName("textrnn-score").config("spark.ui.showConsoleProgress", "false")
    if args.master:  # else spark-submit's --master, which defaults to local[*]
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    try:
        context = spark.sparkContext
        context.setLogLevel("WARN")
        context.addPyFile(str(HERE / "textrnn_spark.py"))
        import textrnn_spark

        if args.ship_bundle:
            context.addFile(os.path.abspath(args.bundle), recursive=True)
            bundle = textrnn_spark.BundleRef(spark_file=Path(args.bundle).resolve().name)
        else:
            bundle = textrnn_spark.BundleRef(path=os.path.abspath(args.bundle))

        frame = read_input(spark, args.input, kind)
        probability_columns = textrnn_spark.probability_columns(labels)
        check_columns(args, frame.columns, ["predicted_label", "probability", *probability_columns])
        kept_fields = [frame.schema[column] for column in args.keep]
        if args.id_column:
            id_field = frame.schema[args.id_column]
            rows = frame.select(args.id_column, args.text_column, *args.keep).rdd.map(
                lambda row: (row[0], row[1], tuple(row[2:])))
        else:
            id_field = StructField("row", LongType(), False)
            rows = frame.select(args.text_column, *args.keep).rdd.zipWithIndex().map(
                lambda pair: (pair[1], pair[0][0], tuple(pair[0][1:])))
        if args.partitions:
            rows = rows.repartition(args.partitions)

        stats = context.accumulator([], textrnn_spark.PartitionStatsParam())
        score = functools.partial(textrnn_spark.score_partition, bundle=bundle, input_name=args.input,
                                  batch_size=args.batch_size, threads=args.threads, stats=stats)
        schema = StructType([id_field, *kept_fields, StructField("predicted_label", StringType(), False),
                             StructField("probability", FloatType(), False),
                             *[StructField(name, FloatType(), False) for name in probability_columns]])
        writer = spark.createDataFrame(rows.mapPartitions(score), schema).write
        writer = writer.mode("overwrite" if args.overwrite else "errorifexists")
        try:
            if args.format == "csv":
                writer.option("header", True).csv(args.output)
            elif args.format == "jsonl":
                writer.json(args.output)
            else:
                writer.parquet(args.output)
        except Exception as error:  # Py4J and PySpark errors share no narrower base class
            fail(scoring_error(error) or f"the Spark job failed: {str(error).splitlines()[0]}")

        summary = summarize(stats.value)
        print(f"score.py: {summary['rows']} rows, {summary['partitions']} partitions, "
              f"{summary['processes']} worker processes -> {args.output}", file=sys.stderr)
        if args.stats:
            Path(args.stats).write_text(json.dumps(summary, indent=2) + "\n")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

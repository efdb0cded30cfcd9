"""``python -m textrnn``: the runtime half of the ``textrnn`` command line, for machines that
have the wheel but not the Swift CLI.

``python -m textrnn predict BUNDLE [FILE|-] [--json|--tsv] [--top-k K] [--threshold P] [--threads N]``
takes the arguments of ``textrnn predict`` and writes the same bytes to stdout; errors read
"textrnn: reason" as the Swift CLI's (docs/cli.md).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import BinaryIO, Iterator, List, Optional, Sequence

from . import Model, TextRNNError, __version__, load
from .result_lines import ResultFormatter

__all__ = ["main"]

_PREDICT_DESCRIPTION = """\
Classify texts, one per line.

Reads one text per line (a trailing CR is dropped; any bytes are accepted, invalid UTF-8
included) and writes one line per text, in input order:
  json  {"label": L, "probability": P, "probabilities": {label: p, ...}}
        multi-label models add "labels": the labels with p >= --threshold;
        --top-k adds "top_k": [{"label": L, "probability": P}, ...]
  tsv   LABEL<TAB>PROBABILITY (with --top-k: K label/probability pairs;
        multi-label models: one pair per label with p >= --threshold)
Probabilities are float32, printed so that they read back exactly. On a failing line the
command prints the results before it, reports "textrnn: FILE:LINE: reason" on stderr and
exits with status 1. The output is byte for byte that of `textrnn predict`.
"""

# Library messages start with the C function's name ("textrnn_load: ..."); the Swift CLI
# prints the reason alone.
_FUNCTION_PREFIX = re.compile(r"^textrnn_[a-z_]+: ")


class _Failure(Exception):
    """Ends the command with "textrnn: MESSAGE" on stderr and exit status 1."""


def _reason(error: TextRNNError) -> str:
    return _FUNCTION_PREFIX.sub("", error.message)


def _integer_at_least(name: str, minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be at least {minimum}")
        return value

    return parse


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threshold must be a number, not {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("--threshold must be in 0...1")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error convention: "textrnn: reason", the usage, exit status 64."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"textrnn: {message}\n{self.format_usage()}")
        sys.exit(64)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m textrnn", description="TextRNN runtime commands.")
    parser.add_argument("--version", action="version", version=f"textrnn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    predict = commands.add_parser(
        "predict",
        help="Classify texts, one per line.",
        description=_PREDICT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    predict.add_argument("bundle", help="The bundle directory (NAME.textrnn) or its manifest.json.")
    predict.add_argument("file", nargs="?", default="-", help="Input file, one text per line; '-' or nothing reads standard input.")
    formats = predict.add_mutually_exclusive_group()
    formats.add_argument("--json", dest="format", action="store_const", const="json", help="One JSON object per line (the default).")
    formats.add_argument("--tsv", dest="format", action="store_const", const="tsv", help="Tab-separated lines instead of JSON.")
    # Before docs/cli.md: --format json|tsv.
    formats.add_argument("--format", dest="format", choices=["json", "tsv"], help=argparse.SUPPRESS)
    predict.add_argument("--top-k", type=_integer_at_least("--top-k", 1), help="Also give the K most probable labels (default: none).")
    predict.add_argument("--threshold", type=_probability, default=0.5,
                         help="Multi-label models: predict every label whose probability is at least this (default: 0.5).")
    predict.add_argument("--threads", type=_integer_at_least("--threads", 0), default=0,
                         help="Worker threads (0 = one per CPU); results do not depend on it (default: 0).")
    predict.set_defaults(format="json")
    return parser


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """The texts of `stream`: its lines without the newline and one trailing CR."""
    for raw in stream:
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        yield raw


def _batches(lines: Iterator[bytes], size: int) -> Iterator[List[bytes]]:
    batch: List[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _predict(model: Model, stream: BinaryIO, input_name: str, formatter: ResultFormatter, threads: int, out: BinaryIO) -> None:
    # Typed lines get their answer at once; batches are for files and pipes (as the Swift CLI).
    workers = 1 if stream.isatty() else threads or max(os.cpu_count() or 1, 1)
    # One text at a time on one thread keeps interactive use line by line, as the Swift CLI.
    batch_size = 1 if workers == 1 else workers * 32
    interactive = out.isatty()
    first_line = 1
    for batch in _batches(_lines(stream), batch_size):
        try:
            rows = model.predict_proba(batch, threads=workers)
        except TextRNNError as batch_error:
            # Print what precedes the first failing text, then name its line.
            for index, text in enumerate(batch):
                try:
                    probabilities = model.predict_one(text)
                except TextRNNError as error:
                    raise _Failure(f"{input_name}:{first_line + index}: {_reason(error)}") from None
                out.write(formatter.line(probabilities).encode("utf-8"))
            raise _Failure(f"{input_name}:{first_line}: {_reason(batch_error)}") from None
        for row in rows:
            out.write(formatter.line(row.tolist() if hasattr(row, "tolist") else row).encode("utf-8"))
        if interactive:
            out.flush()
        first_line += len(batch)


def _run_predict(arguments: argparse.Namespace, out: BinaryIO) -> None:
    try:
        model = load(arguments.bundle)
    except TextRNNError as error:
        raise _Failure(_reason(error)) from None
    with model:
        formatter = ResultFormatter(model.labels, model.output, arguments.format, arguments.top_k, arguments.threshold)
        if arguments.file == "-":
            _predict(model, sys.stdin.buffer, "<stdin>", formatter, arguments.threads, out)
            return
        try:
            stream = open(arguments.file, "rb")
        except OSError as error:
            raise _Failure(f"{arguments.file}: cannot open: {error.strerror}") from None
        with stream:
            _predict(model, stream, arguments.file, formatter, arguments.threads, out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs ``python -m textrnn`` with `argv` (default: sys.argv[1:]); returns the exit status."""
    arguments = _parser().parse_args(argv)
    # Bytes, not text: labels are UTF-8 and lines end in LF whatever the locale, as in Swift.
    out = sys.stdout.buffer
    try:
        _run_predict(arguments, out)
    except _Failure as failure:
        print(f"textrnn: {failure}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `... | head`: the reader has gone; nothing left to report.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        print(f"textrnn: {error}", file=sys.stderr)
        return 1
    finally:
        try:
            out.flush()
        except BrokenPipeError:
            pass
    return 0

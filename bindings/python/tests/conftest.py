"""Shared setup: where the binaries, fixtures and data are, and bundles made from fixtures.

Environment (all optional):
  TEXTRNN_CLI       the textrnn CLI executable   (default <repo>/.build/release/textrnn-cli)
  TEXTRNN_LIBRARY   libtextrnn.so                (default <repo>/.build/release/libtextrnn.so)
  TEXTRNN_TRAINER_LIBRARY  libtextrnn-trainer.so (default: beside TEXTRNN_LIBRARY)
  TEXTRNN_CLASSIFY  a built examples/c/classify  (default: compiled here from classify.c)
  TEXTRNN_FIXTURE_TOOL  the textrnn-fixture developer tool (default: beside TEXTRNN_LIBRARY)
  TEXTRNN_FIXTURES  the Keras fixtures directory (default <repo>/../shared/fixtures/keras)
  TEXTRNN_DATA      the data directory           (default <repo>/../shared/data)
Missing binaries or fixtures fail the tests loudly; nothing is skipped.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

PYTHON_ROOT = Path(__file__).resolve().parents[1]
REPO = Path(__file__).resolve().parents[3]

CLI = Path(os.environ.get("TEXTRNN_CLI", REPO / ".build" / "release" / "textrnn-cli"))
LIBRARY = Path(os.environ.get("TEXTRNN_LIBRARY", REPO / ".build" / "release" / "libtextrnn.so"))
FIXTURE_TOOL = Path(os.environ.get("TEXTRNN_FIXTURE_TOOL", LIBRARY.parent / "textrnn-fixture"))
FIXTURES = Path(os.environ.get("TEXTRNN_FIXTURES", REPO.parent / "shared" / "fixtures" / "keras"))
DATA = Path(os.environ.get("TEXTRNN_DATA", REPO.parent / "shared" / "data"))

TRAINER_LIBRARY = Path(os.environ.get("TEXTRNN_TRAINER_LIBRARY", LIBRARY.parent / "libtextrnn-trainer.so"))

# The bindings must load exactly the libraries under test.
os.environ["TEXTRNN_LIBRARY"] = str(LIBRARY)
os.environ["TEXTRNN_TRAINER_LIBRARY"] = str(TRAINER_LIBRARY)
sys.path.insert(0, str(PYTHON_ROOT))

import textrnn  # noqa: E402


def _require(path: Path, what: str, hint: str) -> Path:
    if not path.exists():
        pytest.fail(f"{what} not found at {path} ({hint})", pytrace=False)
    return path


@pytest.fixture(scope="session")
def cli() -> Path:
    return _require(CLI, "textrnn CLI", "swift build -c release, or set TEXTRNN_CLI")


@pytest.fixture(scope="session")
def fixture_tool() -> Path:
    return _require(FIXTURE_TOOL, "textrnn-fixture", "swift build -c release, or set TEXTRNN_FIXTURE_TOOL")


@pytest.fixture(scope="session")
def library_path() -> Path:
    return _require(LIBRARY, "libtextrnn.so", "swift build -c release --product textrnn, or set TEXTRNN_LIBRARY")


@pytest.fixture(scope="session")
def lib(library_path):
    return textrnn.library()


def model_fixture_paths() -> List[Path]:
    return sorted((FIXTURES / "models").glob("*.json"))


@pytest.fixture(scope="session")
def fixture_models() -> Dict[str, Path]:
    _require(FIXTURES / "models", "Keras model fixtures", "set TEXTRNN_FIXTURES")
    paths = model_fixture_paths()
    if not paths:
        pytest.fail(f"no model fixtures in {FIXTURES / 'models'}", pytrace=False)
    return {path.stem: path for path in paths}


def run_cli(cli: Path, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(cli), *args], input=input, capture_output=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(
            f"textrnn {' '.join(args)} exited {result.returncode}: {result.stderr.decode(errors='replace')}"
        )
    return result


@pytest.fixture(scope="session")
def bundles(fixture_tool, fixture_models, tmp_path_factory) -> Dict[str, Path]:
    """Every model fixture as a bundle, written by the `textrnn-fixture` developer tool."""
    directory = tmp_path_factory.mktemp("bundles")
    result = {}
    for name, path in fixture_models.items():
        bundle = directory / f"{name}.textrnn"
        run_cli(fixture_tool, str(path), "--output", str(bundle))
        result[name] = bundle
    return result


@pytest.fixture(scope="session")
def softmax_bundle(bundles) -> Path:
    return bundles["bilstm_lstm_softmax_post"]


@pytest.fixture()
def model(softmax_bundle, library_path):
    with textrnn.load(softmax_bundle) as loaded:
        yield loaded


def build_c_example(name: str, library_path: Path, output: Path) -> Path:
    """Compiles examples/c/NAME.c against the build tree's header and library (rpath set)."""
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if not compiler:
        pytest.fail(f"no C compiler (cc) to build examples/c/{name}.c", pytrace=False)
    libdir = str(library_path.parent)
    command = [
        compiler, "-O2", "-Wall", "-Wextra", "-Werror", "-std=c11",
        "-I", str(REPO / "include"), str(REPO / "examples" / "c" / f"{name}.c"),
        "-L", libdir, "-ltextrnn", f"-Wl,-rpath,{libdir}", "-o", str(output),
    ]
    built = subprocess.run(command, capture_output=True, text=True)
    if built.returncode != 0:
        pytest.fail(f"building {name} failed:\n{' '.join(command)}\n{built.stderr}", pytrace=False)
    return output


@pytest.fixture(scope="session")
def classify(library_path, tmp_path_factory) -> Path:
    """The C example, compiled against the library under test (or TEXTRNN_CLASSIFY)."""
    if os.environ.get("TEXTRNN_CLASSIFY"):
        return _require(Path(os.environ["TEXTRNN_CLASSIFY"]), "classify", "TEXTRNN_CLASSIFY")
    return build_c_example("classify", library_path, tmp_path_factory.mktemp("c") / "classify")


def load_fixture(path: Path) -> dict:
    with open(path) as handle:
        return json.load(handle)


def slice_dataset(source: Path, target: Path, per_label: int) -> Path:
    """The first `per_label` rows of each label of a shared CSV (rows are grouped by label)."""
    _require(source, "shared dataset", "set TEXTRNN_DATA")
    counts: Dict[str, int] = {}
    with open(source, newline="", encoding="utf-8") as inp, open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["label", "text"])
        for row in csv.DictReader(inp):
            if counts.get(row["label"], 0) < per_label:
                counts[row["label"]] = counts.get(row["label"], 0) + 1
                writer.writerow([row["label"], row["text"]])
    return target


def slice_csv(source: Path, target: Path, stride: int, rows: int | None = None) -> Path:
    """Writes every `stride`-th row of a shared `label,text` CSV (header kept), at most `rows`."""
    _require(source, "shared dataset", "set TEXTRNN_DATA")
    csv.field_size_limit(1 << 30)
    with open(source, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        chosen = [row for index, row in enumerate(reader) if index % stride == 0][:rows]
    with open(target, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(chosen)
    return target


IMDB_TEST_ROWS = 2000


@pytest.fixture(scope="session")
def imdb_bundle(cli, tmp_path_factory) -> Path:
    """The one IMDB sentiment model of the tests: a BiLSTM-32 with the default bag-of-n-grams
    branch, trained by the CLI on every 8th training review (3,125; at most 4 epochs, sequence
    length 128, a few seconds). Enough for predictions that vary and are mostly right (test_spark
    requires accuracy > 0.65)."""
    work = tmp_path_factory.mktemp("imdb")
    train = slice_csv(DATA / "imdb" / "train.csv", work / "train.csv", stride=8)
    bundle = work / "imdb.textrnn"
    run_cli(cli, "train", "--train", str(train), "--output", str(bundle), "--max-tokens", "5000",
            "--sequence-length", "128", "--embedding-dim", "32", "--cell", "lstm", "--units", "32", "--bidirectional", "true",
            "--epochs", "4", "--seed", "7", "--standardize", "lower_and_strip_punctuation", "--quiet")
    return bundle


@pytest.fixture(scope="session")
def imdb_bilstm64_bundle(cli, tmp_path_factory) -> Path:
    """A BiLSTM-64 with the bag branch, one epoch on every 25th training review (1,000): its float
    recurrent kernels (64 KiB each) are too large for L1, so batches take its texts in lockstep
    groups (only kernels that do not fit L1 are grouped)."""
    work = tmp_path_factory.mktemp("imdb64")
    train = slice_csv(DATA / "imdb" / "train.csv", work / "train.csv", stride=25)
    bundle = work / "imdb64.textrnn"
    run_cli(cli, "train", "--train", str(train), "--output", str(bundle), "--max-tokens", "5000",
            "--sequence-length", "128", "--embedding-dim", "32", "--cell", "lstm", "--units", "64", "--bidirectional", "true",
            "--epochs", "1", "--seed", "7", "--quiet")
    return bundle


@pytest.fixture(scope="session")
def imdb_test(tmp_path_factory) -> Path:
    """A 2,000-review slice of the IMDB test split (every 12th review), as a `label,text` CSV."""
    return slice_csv(DATA / "imdb" / "test.csv", tmp_path_factory.mktemp("imdb-test") / "test.csv",
                     stride=25000 // IMDB_TEST_ROWS, rows=IMDB_TEST_ROWS)

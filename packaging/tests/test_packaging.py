"""`make test-packaging`: the manylinux wheel and the dist tarball on a machine without the Swift
toolchain, json-c or OpenBLAS, giving the results of the CLI built from source.

Each check runs in a mount namespace (`unshare --mount`, so root) in which an empty directory is
bind-mounted over /opt/swift and OpenBLAS's directory, and /dev/null over the json-c and
gfortran library files; a probe first proves they cannot be loaded there. The reference is the
source tree's build (bin/textrnn and the bindings in bindings/python) outside the namespace.
Slow (a venv, a dozen small trainings): not part of `make test`.

Environment: TEXTRNN_DIST (the dist directory), TEXTRNN_DATA (the shared data).
"""

from __future__ import annotations

import csv
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("TEXTRNN_DIST", REPO / "dist"))
DATA = Path(os.environ.get("TEXTRNN_DATA", REPO.parent / "shared" / "data"))
SOURCE_CLI = REPO / "bin" / "textrnn"
BUILD = REPO / ".build" / "release"
VERSION = "0.1.0"
MAX_LIBRARY_BYTES = 6_000_000
AUDITWHEEL_BYTES = 32_768
CONFIG = {"epochs": 2, "units": [16], "embedding_dim": 16, "max_tokens": 3000, "seed": 5, "threads": 2}
LIBRARIES = "/usr/lib/x86_64-linux-gnu"
# What a user's machine lacks: the toolchain, json-c, OpenBLAS and its Fortran runtime.
HIDDEN_DIRECTORIES = ["/opt/swift", f"{LIBRARIES}/openblas-pthread"]
HIDDEN_FILES = sorted({os.path.realpath(path) for pattern in ("libjson-c.so*", "libgfortran.so*")
                       for path in glob.glob(f"{LIBRARIES}/{pattern}")})
PROBE = ("import ctypes, os, sys\n"
         "for name in ('libjson-c.so.5', 'libopenblas.so.0', 'libgfortran.so.5'):\n"
         "    try: ctypes.CDLL(name); sys.exit(name + ' is still loadable')\n"
         "    except OSError: pass\n"
         "assert os.listdir('/opt/swift') == [], 'the toolchain is visible'\n")


def hidden(command: list, cwd: Path, empty: Path, **kwargs) -> subprocess.CompletedProcess:
    """Runs `command` in a new mount namespace with the dependencies hidden; checks they are."""
    mounts = [f"mount --bind {shlex.quote(str(empty))} {shlex.quote(path)}" for path in HIDDEN_DIRECTORIES]
    mounts += [f"mount --bind /dev/null {shlex.quote(path)}" for path in HIDDEN_FILES]
    script = " && ".join(mounts + [f"{shlex.quote(sys.executable)} -c {shlex.quote(PROBE)}", 'exec "$@"'])
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *map(str, command)],
                            cwd=cwd, capture_output=True, timeout=900, **kwargs)
    assert result.returncode == 0, f"{command} failed in the namespace:\n{result.stderr.decode(errors='replace')}"
    return result


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, timeout=900, **kwargs)
    assert result.returncode == 0, f"{command}: {result.stderr.decode(errors='replace')}"
    return result


def one(pattern: str) -> Path:
    found = sorted(DIST.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {DIST} (make dist): {found}"
    return found[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """The data (150 reviews per label from IMDB's training split, 60 test reviews, one per
    line), the config, an empty directory to mount, and the source CLI's model and outputs."""
    root = tmp_path_factory.mktemp("packaging")
    (root / "empty").mkdir()
    with open(DATA / "imdb" / "train.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    counts: dict = {}
    chosen = []
    for row in table:
        # One line per text, so that the C program's TSV holds the same texts as the CSV.
        if counts.get(row["label"], 0) < 150 and not any(c in row["text"] for c in "\t\r\n"):
            counts[row["label"]] = counts.get(row["label"], 0) + 1
            chosen.append(row)
    with open(root / "train.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["label", "text"])
        writer.writerows([row["label"], row["text"]] for row in chosen)
    (root / "train.tsv").write_text("".join(f"{row['label']}\t{row['text']}\n" for row in chosen), encoding="utf-8")
    with open(DATA / "imdb" / "test.csv", newline="", encoding="utf-8") as handle:
        tests = [row["text"].replace("\n", " ") for index, row in enumerate(csv.DictReader(handle)) if index % 400 == 0]
    (root / "test.txt").write_text("".join(text + "\n" for text in tests), encoding="utf-8")
    (root / "config.json").write_text(json.dumps(CONFIG))
    run([SOURCE_CLI, "train", "--train", root / "train.csv", "--config", root / "config.json", "--output", root / "reference.textrnn", "--quiet"])
    (root / "reference.json").write_bytes(run([SOURCE_CLI, "predict", root / "reference.textrnn", root / "test.txt", "--format", "json"]).stdout)
    (root / "elsewhere").mkdir()
    return root


def probabilities(json_lines: bytes) -> np.ndarray:
    rows = [json.loads(line)["probabilities"] for line in json_lines.decode().splitlines()]
    return np.array([[row[label] for label in sorted(row)] for row in rows], dtype=np.float32)


SKLEARN_SCRIPT = """
import csv, json, sys, os
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
import textrnn
train, test, bundle, config = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
rows = list(csv.DictReader(open(train, newline="", encoding="utf-8")))
texts, labels = [r["text"] for r in rows], [r["label"] for r in rows]
params = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
scores = cross_val_score(textrnn.TextRNNClassifier(**params), texts, labels, cv=StratifiedKFold(3))
classifier = textrnn.TextRNNClassifier(**params).fit(texts, labels)
lines = open(test, encoding="utf-8").read().splitlines()
os.mkdir(bundle)
manifest, weights = classifier.bundle_
open(os.path.join(bundle, "manifest.json"), "wb").write(manifest)
open(os.path.join(bundle, "weights.bin"), "wb").write(weights)  # the trainer's bundle layout
print(json.dumps({"scores": scores.tolist(), "proba": classifier.predict_proba(lines).tolist(),
                  "predicted": classifier.predict(lines).tolist(), "classes": classifier.classes_.tolist(),
                  "package": os.path.dirname(textrnn.__file__)}))
"""


def test_wheel_is_manylinux_and_lean():
    wheel = one(f"textrnn-{VERSION}-py3-none-manylinux_*_x86_64.whl")
    shown = run([sys.executable, "-m", "auditwheel", "show", wheel]).stdout.decode()
    assert "is consistent with" in shown and "manylinux_" in shown, shown
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        library = archive.getinfo("textrnn/libtextrnn.so").file_size
    assert {"textrnn/libtextrnn.so", "textrnn/libtextrnn-trainer.so", "textrnn/bin/textrnn"} <= set(names)
    assert any(name.startswith("textrnn.libs/libjson-c") for name in names), names
    assert any(name.startswith("textrnn.libs/libopenblas") for name in names), names
    # Issue 16's bar is the stripped library: the wheel's copy is that (wheel.sh strips it) plus
    # what auditwheel's patchelf adds when it renames json-c and sets the RPATH (about 18 KB).
    with tempfile.TemporaryDirectory() as work:
        stripped = Path(work) / "libtextrnn.so"
        run(["strip", "--strip-unneeded", "-o", stripped, BUILD / "libtextrnn.so"])
        stripped_bytes = stripped.stat().st_size
    assert stripped_bytes <= MAX_LIBRARY_BYTES, f"stripped libtextrnn.so is {stripped_bytes} bytes"
    assert library <= stripped_bytes + AUDITWHEEL_BYTES, f"libtextrnn.so in the wheel is {library} bytes, stripped {stripped_bytes}"


def test_wheel_in_a_fresh_venv_without_toolchain_or_json_c(work):
    wheel = one(f"textrnn-{VERSION}-py3-none-manylinux_*_x86_64.whl")
    venv = work / "venv"
    # numpy and scikit-learn come from this Python's site-packages (no index needed); textrnn
    # only from the wheel.
    run([sys.executable, "-m", "venv", "--system-site-packages", venv])
    run([venv / "bin" / "python", "-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check", wheel])
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("TEXTRNN_") and key not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    config = json.dumps(CONFIG)
    out = hidden([venv / "bin" / "python", "-c", SKLEARN_SCRIPT, work / "train.csv", work / "test.txt", work / "wheel.textrnn", config],
                 cwd=work / "elsewhere", empty=work / "empty", env=environment)
    result = json.loads(out.stdout)
    assert Path(result["package"]).is_relative_to(venv), "textrnn came from the wheel"

    # fit in process = the source CLI's training, to the float32.
    reference = probabilities((work / "reference.json").read_bytes())
    assert np.array_equal(np.array(result["proba"], dtype=np.float32), reference)
    assert result["classes"] == ["negative", "positive"]
    assert result["predicted"] == [result["classes"][i] for i in reference.argmax(axis=1)]
    # cross_val_score = the same call through the source tree's bindings and build.
    source = subprocess.run([sys.executable, "-c", SKLEARN_SCRIPT, work / "train.csv", work / "test.txt", work / "source.textrnn", config],
                            capture_output=True, timeout=900, cwd=work / "elsewhere",
                            env={**environment, "PYTHONPATH": str(REPO / "bindings" / "python"),
                                 "TEXTRNN_LIBRARY": str(BUILD / "libtextrnn.so"),
                                 "TEXTRNN_TRAINER_LIBRARY": str(BUILD / "libtextrnn-trainer.so")})
    assert source.returncode == 0, source.stderr.decode()
    assert result["scores"] == json.loads(source.stdout)["scores"] and len(result["scores"]) == 3

    # The console command: the CLI inside the wheel, predicting and training.
    command = venv / "bin" / "textrnn"
    predicted = hidden([command, "predict", work / "wheel.textrnn", work / "test.txt", "--format", "json"],
                       cwd=work / "elsewhere", empty=work / "empty", env=environment)
    assert predicted.stdout == (work / "reference.json").read_bytes()
    hidden([command, "train", "--train", work / "train.csv", "--config", work / "config.json", "--output", work / "console.textrnn", "--quiet"],
           cwd=work / "elsewhere", empty=work / "empty", env=environment)
    assert (work / "console.textrnn" / "weights.bin").read_bytes() == (work / "reference.textrnn" / "weights.bin").read_bytes()


def test_dist_tarball_unpacked_anywhere(work):
    tarball = one(f"textrnn-{VERSION}-linux-x86_64.tar.gz")
    unpacked = work / "unpacked"
    unpacked.mkdir()
    run(["tar", "-xzf", tarball, "-C", unpacked])
    root = unpacked / f"textrnn-{VERSION}-linux-x86_64"
    assert (root / "share" / "doc" / "textrnn" / "textrnn-help.txt").read_text().count("==== textrnn ") >= 5
    stripped = work / "stripped.so"
    run(["strip", "--strip-unneeded", "-o", stripped, root / "lib" / f"libtextrnn.so.{VERSION}"])
    assert stripped.stat().st_size <= MAX_LIBRARY_BYTES
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(work)}

    cli = root / "bin" / "textrnn"
    hidden([cli, "train", "--train", work / "train.csv", "--config", work / "config.json", "--output", work / "dist.textrnn", "--quiet"],
           cwd=work / "elsewhere", empty=work / "empty", env=environment)
    assert (work / "dist.textrnn" / "weights.bin").read_bytes() == (work / "reference.textrnn" / "weights.bin").read_bytes()
    predicted = hidden([cli, "predict", work / "dist.textrnn", work / "test.txt", "--format", "json"],
                       cwd=work / "elsewhere", empty=work / "empty", env=environment)
    assert predicted.stdout == (work / "reference.json").read_bytes()

    # C programs built against the tarball through its pkg-config files: classify (libtextrnn)
    # and train (libtextrnn-trainer + libtextrnn).
    pkg = {**os.environ, "PKG_CONFIG_PATH": str(root / "lib" / "pkgconfig")}
    flags = run(["pkg-config", "--cflags", "--libs", "textrnn", "textrnn-trainer"], env=pkg).stdout.decode().split()
    assert f"-L{root}/lib/pkgconfig/../../lib" in flags, flags  # ${pcfiledir}: wherever it was unpacked
    for name in ("classify", "train"):
        run(["cc", "-O2", "-std=c11", "-Wall", "-Werror", REPO / "examples" / "c" / f"{name}.c", "-o", work / name, *flags,
             f"-Wl,-rpath,{root / 'lib'}"])
    classified = hidden([work / "classify", work / "dist.textrnn", work / "test.txt"], cwd=work / "elsewhere",
                        empty=work / "empty", env=environment)
    assert np.array_equal(probabilities(classified.stdout), probabilities((work / "reference.json").read_bytes()))
    hidden([work / "train", work / "c.textrnn", json.dumps(CONFIG)], cwd=work / "elsewhere", empty=work / "empty",
           env=environment, input=(work / "train.tsv").read_bytes())
    assert (work / "c.textrnn" / "weights.bin").read_bytes() == (work / "reference.textrnn" / "weights.bin").read_bytes()

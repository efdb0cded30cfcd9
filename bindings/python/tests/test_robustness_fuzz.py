"""Fuzzing regressions: every seed and every kept crasher (fuzz/corpus, fuzz/crashers) replayed
through the libFuzzer harnesses, built with a plain main() (fuzz/harness/replay.c) against the
library under test. `make fuzz` runs the harnesses themselves under ASan/UBSan."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DATA, FIXTURES, REPO

FUZZ = REPO / "fuzz"


@pytest.fixture(scope="session")
def fuzz_bundles(cli, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("fuzz")
    done = subprocess.run(
        ["python3", str(FUZZ / "make_corpus.py"), str(cli), str(out), "--data", str(DATA), "--fixtures", str(FIXTURES)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("harness", ["load", "predict"])
def test_replay_seeds_and_crashers(harness, library_path, fuzz_bundles, tmp_path):
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if not compiler:
        pytest.fail("no C compiler (cc)", pytrace=False)
    program = tmp_path / f"replay_{harness}"
    libdir = str(library_path.parent)
    built = subprocess.run(
        [compiler, "-O1", "-g", "-std=c11", "-Wall", "-I", str(REPO / "include"), str(FUZZ / "harness" / "replay.c"),
         str(FUZZ / "harness" / f"fuzz_{harness}.c"), "-L", libdir, "-ltextrnn", f"-Wl,-rpath,{libdir}", "-o", str(program)],
        capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    inputs = [FUZZ / "corpus" / harness, FUZZ / "crashers" / harness]
    result = subprocess.run([str(program), *map(str, inputs)], capture_output=True, text=True, timeout=900,
                            env={**os.environ, "TEXTRNN_FUZZ_BUNDLES": fuzz_bundles})
    assert result.returncode == 0, result.stderr[-4000:]
    assert "inputs OK" in result.stdout

"""Threads and leaks through the C ABI (tests/c/stress.c, tests/c/leaks.c).

CI runs short versions; `make stress` and `make leaks` run the long ones (8 threads x 100,000
texts; 100,000 load/predict/free cycles under valgrind and for RSS). Sizes come from the
environment: TEXTRNN_STRESS_TEXTS, TEXTRNN_STRESS_THREADS, TEXTRNN_LEAK_CYCLES,
TEXTRNN_VALGRIND_CYCLES, TEXTRNN_RSS_CYCLES.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DATA, REPO, run_cli

C_DIR = Path(__file__).resolve().parent / "c"

STRESS_TEXTS = int(os.environ.get("TEXTRNN_STRESS_TEXTS", "5000"))
STRESS_THREADS = int(os.environ.get("TEXTRNN_STRESS_THREADS", "8"))
VALGRIND_CYCLES = int(os.environ.get("TEXTRNN_VALGRIND_CYCLES", "300"))
RSS_CYCLES = int(os.environ.get("TEXTRNN_RSS_CYCLES", "3000"))


def _compile(name: str, library_path: Path, output_dir: Path) -> Path:
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if not compiler:
        pytest.fail("no C compiler (cc)", pytrace=False)
    output = output_dir / name
    libdir = str(library_path.parent)
    command = [
        compiler, "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=c11", "-pthread", "-I", str(REPO / "include"),
        str(C_DIR / f"{name}.c"), "-L", libdir, "-ltextrnn", f"-Wl,-rpath,{libdir}", "-o", str(output),
    ]
    built = subprocess.run(command, capture_output=True, text=True)
    if built.returncode != 0:
        pytest.fail(f"building {name} failed:\n{' '.join(command)}\n{built.stderr}", pytrace=False)
    return output


@pytest.fixture(scope="session")
def stress_program(library_path, tmp_path_factory) -> Path:
    return _compile("stress", library_path, tmp_path_factory.mktemp("stress"))


@pytest.fixture(scope="session")
def leaks_program(library_path, tmp_path_factory) -> Path:
    return _compile("leaks", library_path, tmp_path_factory.mktemp("leaks"))


@pytest.fixture(scope="session")
def int8_bundle(cli, bundles, tmp_path_factory) -> Path:
    """An int8 version of a bidirectional fixture (int8 kernels and lazily filled tables)."""
    target = tmp_path_factory.mktemp("int8") / "bigru_int8.textrnn"
    run_cli(cli, "quantize", str(bundles["bigru_bigru_softmax_post"]), "--output", str(target))
    return target


CORPUS = DATA / "ag_news_mini" / "test.csv"


@pytest.mark.parametrize("name", ["bilstm_lstm_softmax_post", "simple_rnn_x3_sigmoid_pre", "int8"])
def test_threads_share_one_model_bit_for_bit(stress_program, bundles, int8_bundle, name):
    bundle = int8_bundle if name == "int8" else bundles[name]
    result = subprocess.run(
        [str(stress_program), str(bundle), str(STRESS_TEXTS), str(STRESS_THREADS), str(CORPUS)],
        capture_output=True, text=True, timeout=max(1800, STRESS_TEXTS // 10))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "stress: OK" in result.stdout


def test_load_predict_free_cycles_under_valgrind(leaks_program, softmax_bundle):
    valgrind = shutil.which("valgrind")
    if not valgrind:
        pytest.fail("valgrind is not installed (make test-deps installs it: apt-get install valgrind)")
    result = subprocess.run(
        [valgrind, "--quiet", f"--suppressions={C_DIR / 'valgrind.supp'}", "--leak-check=full", "--show-leak-kinds=definite,indirect",
         "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
         str(leaks_program), str(softmax_bundle), str(VALGRIND_CYCLES)],
        capture_output=True, text=True, timeout=max(1800, VALGRIND_CYCLES))
    assert result.returncode == 0, result.stderr[-5000:]
    assert "definitely lost" not in result.stderr and "indirectly lost" not in result.stderr, result.stderr[-5000:]
    assert "leaks: OK" in result.stdout


def test_resident_memory_stays_flat(leaks_program, softmax_bundle):
    every = max(RSS_CYCLES // 10, 1)
    result = subprocess.run(
        [str(leaks_program), str(softmax_bundle), str(RSS_CYCLES), str(every)],
        capture_output=True, text=True, timeout=max(1800, RSS_CYCLES // 10))
    assert result.returncode == 0, result.stderr
    samples = [int(line.split()[2]) for line in result.stdout.splitlines() if line.startswith("rss_kb")]
    assert len(samples) == 10
    # After warm-up (samples 2..10), resident memory may wobble (allocator) but not grow with
    # the number of cycles: at most 2 MiB from the 2nd sample to the last.
    growth = samples[-1] - samples[1]
    assert growth <= 2048, f"RSS grew by {growth} KiB over {RSS_CYCLES} cycles: {samples}"

"""`make install` for C users: the installed layout, textrnn.pc and textrnn-trainer.pc, and the C
examples built with exactly `cc FILE $(pkg-config --cflags --libs textrnn [textrnn-trainer])`
and run against the installed libraries.

Needs make, cc, pkg-config, patchelf and readelf (.ci/run installs them); a missing one fails.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

import textrnn
from conftest import REPO

HEADER_VERSION = re.search(r'#define TEXTRNN_VERSION_STRING "([^"]+)"', (REPO / "include" / "textrnn.h").read_text())[1]
MAJOR = HEADER_VERSION.split(".")[0]
TEXTS = ["t2 t3 t4", "", "T5, t6! unknown", "Ünïcödé t7 — t8 ☃", "tab\tseparated t9"]
OVER_LIMIT = b"x" * (64 * 1024 * 1024 + 1)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} not found: .ci/run (or make deps) installs it", pytrace=False)
    return path


def make(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs the repository's Makefile free of any outer make's flags and install variables."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "DESTDIR", "PREFIX"}}
    result = subprocess.run([_tool("make"), "--no-print-directory", "-C", str(REPO), *args],
                            capture_output=True, text=True, env=env, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"make {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def sources(library_path: Path, cli: Path) -> List[str]:
    return [f"TEXTRNN_LIBRARY={library_path}", f"TEXTRNN_CLI={cli}"]


@pytest.fixture(scope="module")
def prefix(library_path, cli, tmp_path_factory) -> Path:
    for tool in ("patchelf", "pkg-config", "readelf"):
        _tool(tool)
    root = tmp_path_factory.mktemp("prefix")
    make("install", f"PREFIX={root}", *sources(library_path, cli))
    return root


@pytest.fixture(scope="module")
def pkg_env(prefix) -> Dict[str, str]:
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    env.pop("LD_LIBRARY_PATH", None)
    return env


def compile_example(name: str, pkg_env: Dict[str, str], directory: Path, extra: str = "", packages: str = "textrnn") -> Path:
    """`cc examples/c/NAME.c $(pkg-config --cflags --libs PACKAGES)` as a user types it."""
    directory.mkdir(parents=True, exist_ok=True)
    source = REPO / "examples" / "c" / f"{name}.c"
    command = f'{_tool("cc")} {extra} "{source}" $(pkg-config --cflags --libs {packages})'
    built = subprocess.run(["bash", "-c", command], cwd=directory, env=pkg_env, capture_output=True, text=True)
    assert built.returncode == 0, f"{command}\n{built.stderr}"
    assert built.stderr == "", built.stderr
    return directory / "a.out"


def run_env(pkg_env: Dict[str, str], prefix: Path) -> Dict[str, str]:
    return dict(pkg_env, LD_LIBRARY_PATH=str(prefix / "lib"))


def test_installed_layout(prefix, softmax_bundle):
    lib = prefix / "lib"
    assert os.readlink(lib / "libtextrnn.so") == f"libtextrnn.so.{MAJOR}"
    assert os.readlink(lib / f"libtextrnn.so.{MAJOR}") == f"libtextrnn.so.{HEADER_VERSION}"
    dynamic = subprocess.run(["readelf", "-d", str(lib / f"libtextrnn.so.{HEADER_VERSION}")],
                             capture_output=True, text=True, check=True).stdout
    assert f"Library soname: [libtextrnn.so.{MAJOR}]" in dynamic
    assert (prefix / "include" / "textrnn.h").read_bytes() == (REPO / "include" / "textrnn.h").read_bytes()
    # The installed library works (the soname rewrite kept it intact) and is the header's version.
    script = ("import ctypes, sys; l = ctypes.CDLL(sys.argv[1]); l.textrnn_version.restype = ctypes.c_char_p; "
              "print(l.textrnn_version().decode())")
    version = subprocess.run(["python3", "-c", script, str(lib / "libtextrnn.so")], capture_output=True, text=True)
    assert version.stdout.strip() == HEADER_VERSION, version.stderr
    inspect = subprocess.run([str(prefix / "bin" / "textrnn"), "inspect", str(softmax_bundle)], capture_output=True, text=True)
    assert inspect.returncode == 0 and "Total params: 967" in inspect.stdout, inspect.stderr


def test_pkg_config(prefix, pkg_env):
    def query(*args: str) -> str:
        result = subprocess.run(["pkg-config", *args, "textrnn"], env=pkg_env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert query("--cflags", "--libs").split() == [f"-I{prefix}/include", f"-L{prefix}/lib", "-ltextrnn"]
    assert query("--modversion") == HEADER_VERSION
    assert query("--variable=libdir") == f"{prefix}/lib"
    assert query("--print-requires-private") == ""


@pytest.mark.parametrize("name", ["classify", "stream"])
def test_examples_compile_cleanly_with_strict_flags(name, pkg_env, tmp_path):
    program = compile_example(name, pkg_env, tmp_path, extra="-Wall -Wextra -Werror -std=c11 -pedantic")
    needed = subprocess.run(["readelf", "-d", str(program)], capture_output=True, text=True, check=True).stdout
    # Linked against the soname, so a future incompatible libtextrnn.so.1 cannot be picked up.
    assert f"Shared library: [libtextrnn.so.{MAJOR}]" in needed


def test_installed_trainer_trains_from_c(prefix, pkg_env, cli, tmp_path):
    """The trainer's C ABI as installed: examples/c/train.c built with both .pc files trains on
    real rows, and the CLI built from source predicts what the C program printed."""
    lib = prefix / "lib"
    dynamic = subprocess.run(["readelf", "-d", str(lib / f"libtextrnn-trainer.so.{HEADER_VERSION}")],
                             capture_output=True, text=True, check=True).stdout
    assert f"Library soname: [libtextrnn-trainer.so.{MAJOR}]" in dynamic
    assert (prefix / "include" / "textrnn_trainer.h").read_bytes() == (REPO / "include" / "textrnn_trainer.h").read_bytes()
    program = compile_example("train", pkg_env, tmp_path, extra="-Wall -Wextra -Werror -std=c11",
                              packages="textrnn textrnn-trainer")
    needed = subprocess.run(["readelf", "-d", str(program)], capture_output=True, text=True, check=True).stdout
    assert f"Shared library: [libtextrnn-trainer.so.{MAJOR}]" in needed and f"Shared library: [libtextrnn.so.{MAJOR}]" in needed
    texts = ["great fun film", "awful boring film", "great acting", "boring plot", "fun and great", "awful mess"] * 4
    labels = ["pos", "neg", "pos", "neg", "pos", "neg"] * 4
    tsv = "".join(f"{label}\t{text}\n" for label, text in zip(labels, texts))
    bundle = tmp_path / "c.textrnn"
    trained = subprocess.run([str(program), str(bundle), json.dumps({"epochs": 2, "units": [4], "embedding_dim": 4, "seed": 5})],
                             input=tsv.encode(), capture_output=True, timeout=300, env=run_env(pkg_env, prefix))
    assert trained.returncode == 0, trained.stderr.decode()
    lines = tmp_path / "texts.txt"
    lines.write_text("".join(text + "\n" for text in texts), encoding="utf-8")
    predicted = subprocess.run([str(cli), "predict", str(bundle), str(lines), "--format", "tsv"], capture_output=True, check=True)
    def parsed(output: bytes):  # C prints %.9g, the CLI the shortest form: compare as float32
        return [(label, np.float32(value)) for label, value in (line.split("\t") for line in output.decode().splitlines())]
    assert parsed(trained.stdout) == parsed(predicted.stdout)


def test_installed_classify_matches_python(prefix, pkg_env, softmax_bundle, model, tmp_path):
    program = compile_example("classify", pkg_env, tmp_path)
    data = "".join(text + "\n" for text in TEXTS).encode()
    result = subprocess.run([str(program), str(softmax_bundle)], input=data, env=run_env(pkg_env, prefix),
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [[np.float32(p) for p in row["probabilities"].values()] for row in rows] == [
        [np.float32(p) for p in model.predict_one(text)] for text in TEXTS
    ]
    assert [row["label"] for row in rows] == [model.top_k(text, 1)[0][0] for text in TEXTS]


def read_line(process: subprocess.Popen, timeout: float = 30.0) -> str:
    """One line of the process's stdout, failing if it does not come within `timeout` seconds."""
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not data.endswith(b"\n"):
            if not selector.select(timeout):
                process.kill()
                pytest.fail(f"no answer within {timeout}s (got {data!r})")
            chunk = os.read(process.stdout.fileno(), 1)
            if not chunk:
                pytest.fail(f"stdout closed mid-line (got {data!r}); exit {process.wait()}")
            data += chunk
    return data.decode()


def expected_top_k(model: textrnn.Model, text: str | bytes, k: int) -> List[tuple]:
    return [(label, np.float32(p)) for label, p in model.top_k(text, k)]


def parse_answer(line: str) -> List[tuple]:
    fields = line.rstrip("\n").split("\t")
    return [(fields[i], np.float32(float(fields[i + 1]))) for i in range(0, len(fields), 2)]


def test_stream_answers_each_line_before_the_next_is_written(pkg_env, softmax_bundle, model, tmp_path):
    # Built with the documented rpath instead of LD_LIBRARY_PATH.
    program = compile_example("stream", pkg_env, tmp_path, extra="-Wl,-rpath,$(pkg-config --variable=libdir textrnn)")
    k = len(model.labels)
    process = subprocess.Popen([str(program), str(softmax_bundle), str(k)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pkg_env)
    try:
        for text in TEXTS:
            process.stdin.write(text.encode() + b"\r\n")
            process.stdin.flush()
            assert parse_answer(read_line(process)) == expected_top_k(model, text, k), text
        # A text over the limit is reported and skipped; the next one is still answered.
        process.stdin.write(OVER_LIMIT + b"\n" + b"t2\n")
        process.stdin.flush()
        assert parse_answer(read_line(process)) == expected_top_k(model, "t2", k)
        process.stdin.close()
        assert process.wait(timeout=30) == 1
        errors = process.stderr.read().decode()
    finally:
        process.kill()
        process.wait()
    assert errors == (
        f"stream: {len(TEXTS) + 1}: limit exceeded: textrnn_top_k: text of {len(OVER_LIMIT)} bytes exceeds "
        f"TEXTRNN_MAX_TEXT_BYTES ({len(OVER_LIMIT) - 1})\n"
    )


def test_stream_default_k_is_the_best_label(prefix, pkg_env, softmax_bundle, model, tmp_path):
    program = compile_example("stream", pkg_env, tmp_path)
    result = subprocess.run([str(program), str(softmax_bundle)], input=b"t2 t3\nt4", env=run_env(pkg_env, prefix),
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    answers = [parse_answer(line) for line in result.stdout.decode().splitlines()]
    assert answers == [expected_top_k(model, "t2 t3", 1), expected_top_k(model, "t4", 1)]


def test_stream_load_and_usage_errors(prefix, pkg_env, softmax_bundle, tmp_path):
    program = compile_example("stream", pkg_env, tmp_path / "build")
    env = run_env(pkg_env, prefix)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(program), *args], input=b"t2\n", env=env, capture_output=True, timeout=60)

    missing = tmp_path / "missing.textrnn"
    result = run(str(missing))
    assert result.returncode == 1 and result.stdout == b""
    assert result.stderr.decode().startswith(f"stream: cannot load {missing}: I/O error: textrnn_load: {missing}/manifest.json")

    damaged = tmp_path / "damaged.textrnn"
    shutil.copytree(softmax_bundle, damaged)
    (damaged / "manifest.json").write_text('{"format_version": 1')
    result = run(str(damaged))
    assert result.returncode == 1 and result.stdout == b""
    assert result.stderr.decode().startswith(f"stream: cannot load {damaged}: invalid bundle: textrnn_load: ")
    assert "manifest.json" in result.stderr.decode()

    for args in [(), (str(softmax_bundle), "0"), (str(softmax_bundle), "-1"), (str(softmax_bundle), "2x"),
                 (str(softmax_bundle), "1", "extra")]:
        result = run(*args)
        assert result.returncode == 2, args
        assert result.stderr.decode().startswith("usage: stream BUNDLE [K]"), args


def test_destdir_install_and_uninstall(library_path, cli, tmp_path):
    stage = tmp_path / "stage"
    make("install", f"DESTDIR={stage}", "PREFIX=/opt/textrnn", *sources(library_path, cli))
    root = stage / "opt" / "textrnn"
    installed = sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())
    assert installed == sorted([
        "bin/textrnn", "include/textrnn.h", "lib/libtextrnn.so", f"lib/libtextrnn.so.{MAJOR}",
        f"lib/libtextrnn.so.{HEADER_VERSION}", "lib/pkgconfig/textrnn.pc",
        "include/textrnn_trainer.h", "lib/libtextrnn-trainer.so", f"lib/libtextrnn-trainer.so.{MAJOR}",
        f"lib/libtextrnn-trainer.so.{HEADER_VERSION}", "lib/pkgconfig/textrnn-trainer.pc",
    ])
    pc = (root / "lib" / "pkgconfig" / "textrnn.pc").read_text()
    # The .pc names where the files will live, not the staging directory.
    assert "prefix=/opt/textrnn\n" in pc and "libdir=/opt/textrnn/lib\n" in pc and str(stage) not in pc
    assert f"Version: {HEADER_VERSION}\n" in pc

    make("uninstall", f"DESTDIR={stage}", "PREFIX=/opt/textrnn")
    assert [p for p in root.rglob("*") if not p.is_dir()] == []


def test_install_refuses_to_run_before_a_build(tmp_path):
    result = make("install", f"PREFIX={tmp_path}", f"TEXTRNN_LIBRARY={tmp_path}/none/libtextrnn.so", check=False)
    assert result.returncode != 0
    assert f"make install: {tmp_path}/none/libtextrnn.so not found: run make build first" in result.stderr
    assert not (tmp_path / "lib").exists()


def test_install_checks_every_destination_before_writing_any(library_path, cli, tmp_path):
    # Issue 14 item 3: a directory of the user's where a file goes is refused, and nothing else is
    # installed first (the old rule copied the library, header and .pc, then put the binary
    # inside the user's directory).
    stage = tmp_path / "stage"
    mine = stage / "opt" / "t" / "bin" / "textrnn"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("keep")
    result = make("install", f"DESTDIR={stage}", "PREFIX=/opt/t", *sources(library_path, cli), check=False)
    assert result.returncode != 0
    assert f"{mine} exists and is not a file; refusing to replace it (nothing installed)" in result.stderr, result.stderr
    assert sorted(str(p.relative_to(stage)) for p in stage.rglob("*")) == [
        "opt", "opt/t", "opt/t/bin", "opt/t/bin/textrnn", "opt/t/bin/textrnn/notes.txt"]

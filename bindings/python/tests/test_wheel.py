"""The pip-installable package: `pip wheel ./bindings/python` builds libtextrnn.so, the trainer
library and the CLI with SwiftPM into a platform wheel that runs in a fresh virtual environment
with no variable set (the manylinux wheel of `make wheel`: packaging/tests, make test-packaging)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Dict

import pytest

import textrnn
from conftest import LIBRARY, PYTHON_ROOT, REPO, run_cli
from test_module_cli import review_lines, run_module

PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")
BUILD_VARIABLES = ("TEXTRNN_SOURCE_DIR", "TEXTRNN_PREBUILT_LIBRARY")


def clean_environment(**extra: str) -> Dict[str, str]:
    """The environment of a user who installed the wheel: no library path, no source checkout."""
    dropped = ("TEXTRNN_LIBRARY", "TEXTRNN_TRAINER_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH", "TEXTRNN_CLI", *BUILD_VARIABLES)
    environment = {key: value for key, value in os.environ.items() if key not in dropped}
    environment.update(extra)
    return environment


def pip_wheel(directory: Path, **extra: str) -> subprocess.CompletedProcess:
    """`pip wheel ./bindings/python -w DIRECTORY --no-deps` from the repository root."""
    command = [sys.executable, "-m", "pip", "wheel", "./bindings/python", "-w", str(directory), "--no-deps",
               "--disable-pip-version-check"]
    return subprocess.run(command, cwd=REPO, env=clean_environment(**extra), capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("wheel")
    built = pip_wheel(directory)
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout}\n{built.stderr}"
    wheels = list(directory.glob("textrnn-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {directory}: {wheels}"
    return wheels[0]


@pytest.fixture(scope="session")
def venv_python(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (from the file alone, no index)."""
    root = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    python = root / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check",
                              str(wheel)], capture_output=True, text=True, env=clean_environment(), timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    return python


def test_wheel_is_platform_specific_and_carries_the_library(wheel):
    assert wheel.name == f"textrnn-{textrnn.__version__}-py3-none-{PLATFORM}.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"textrnn-{textrnn.__version__}.dist-info/WHEEL").decode()
        packaged = {place: archive.read(f"textrnn/{place}") for place in ("libtextrnn.so", "libtextrnn-trainer.so", "bin/textrnn")}
    modules = {f"textrnn/{path.name}" for path in (PYTHON_ROOT / "textrnn").glob("*.py")}
    assert {"textrnn/__init__.py", "textrnn/__main__.py", "textrnn/cli.py"} <= modules
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"
    assert "Root-Is-Purelib: false" in metadata and f"Tag: py3-none-{PLATFORM}" in metadata
    for place, product in (("libtextrnn.so", "libtextrnn.so"), ("libtextrnn-trainer.so", "libtextrnn-trainer.so"), ("bin/textrnn", "textrnn-cli")):
        assert packaged[place] == (REPO / ".build" / "release" / product).read_bytes(), f"{place} is not SwiftPM's build"
    assert "textrnn = textrnn.command:main" in archive_text(wheel, f"textrnn-{textrnn.__version__}.dist-info/entry_points.txt")
    unexpected = [name for name in names if not name.startswith(("textrnn/", "textrnn-"))
                  or name.endswith((".csv", ".swift", ".pyc")) or "tests/" in name]
    assert not unexpected, f"the wheel carries more than the package: {unexpected}"
    # Unstripped here (make wheel strips): the CLI and the trainer library carry static Foundation.
    assert wheel.stat().st_size < 120 << 20


def archive_text(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(name).decode()


def test_acceptance_line_in_a_fresh_venv(venv_python, imdb_bundle, tmp_path):
    command = ("import textrnn; print(textrnn.load(B).predict('great film'))\n"
               "import os; print(os.path.dirname(textrnn.__file__))\n"
               "print([l.split()[-1] for l in open('/proc/self/maps') if 'libtextrnn' in l][0])")
    result = subprocess.run([str(venv_python), "-c", command.replace("B", repr(str(imdb_bundle)))], cwd=tmp_path,
                            env=clean_environment(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    prediction, package, library = result.stdout.splitlines()
    with textrnn.load(imdb_bundle) as model:
        assert prediction == repr(model.predict("great film"))
    assert Path(package).is_relative_to(venv_python.parent.parent), "textrnn is imported from the venv"
    assert library == str(Path(package) / "libtextrnn.so"), "the library is the one inside the wheel"


def test_module_predict_from_the_wheel_matches_the_cli(venv_python, cli, imdb_bundle, tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_bytes(review_lines(100))
    for options in ([], ["--format", "tsv", "--top-k", "2"], ["--threads", "0", "--top-k", "1"]):
        swift = run_cli(cli, "predict", str(imdb_bundle), str(path), *options)
        python = run_module("predict", str(imdb_bundle), str(path), *options, python=str(venv_python),
                            env=clean_environment(), cwd=tmp_path)
        assert python.returncode == 0, python.stderr.decode(errors="replace")
        assert python.stdout == swift.stdout


def test_console_command_and_training_from_the_wheel(venv_python, cli, tmp_path):
    command = venv_python.parent / "textrnn"
    shown = subprocess.run([str(command), "--help"], cwd=tmp_path, env=clean_environment(), capture_output=True, timeout=60)
    assert shown.returncode == 0 and shown.stdout == run_cli(cli, "--help").stdout
    script = ("import textrnn\n"
              "model = textrnn.train(['good fun', 'bad dull'] * 20, ['pos', 'neg'] * 20, epochs=1, units=[4], embedding_dim=4)\n"
              "print(model.labels, textrnn.trainer.trainer_library()._name)")
    trained = subprocess.run([str(venv_python), "-c", script], cwd=tmp_path, env=clean_environment(), capture_output=True,
                             text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr
    labels, library = trained.stdout.rsplit(" ", 1)
    assert labels == "['neg', 'pos']" and Path(library.strip()).is_relative_to(venv_python.parent.parent)


def test_prebuilt_library_needs_no_source_tree_or_toolchain(tmp_path):
    built = pip_wheel(tmp_path, TEXTRNN_PREBUILT_LIBRARY=str(LIBRARY), TEXTRNN_SOURCE_DIR=str(tmp_path / "none"),
                      SWIFT="no-such-swift")
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("textrnn-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("textrnn/libtextrnn.so") == LIBRARY.read_bytes()
        assert archive.read("textrnn/libtextrnn-trainer.so") == (LIBRARY.parent / "libtextrnn-trainer.so").read_bytes()


def test_missing_source_tree_fails_with_a_clear_message(tmp_path):
    built = pip_wheel(tmp_path, TEXTRNN_SOURCE_DIR=str(tmp_path / "none"))
    assert built.returncode != 0 and not list(tmp_path.glob("*.whl"))
    output = built.stdout + built.stderr
    assert f"no TextRNN source tree at TEXTRNN_SOURCE_DIR={tmp_path / 'none'}: Package.swift is missing" in output
    assert "TEXTRNN_PREBUILT_LIBRARY" in output


def load_setup_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("textrnn_setup", PYTHON_ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # setup() runs only as __main__
    return module


def test_build_hook_messages(monkeypatch, tmp_path):
    setup_script = load_setup_script()
    for name in BUILD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert setup_script.source_tree() == REPO
    monkeypatch.setenv("SWIFT", "no-such-swift")
    with pytest.raises(setup_script.LibraryBuildError, match="`no-such-swift` not found on PATH.*TEXTRNN_PREBUILT_LIBRARY"):
        setup_script.build_library()
    monkeypatch.setenv("TEXTRNN_PREBUILT_LIBRARY", str(tmp_path / "libtextrnn.so"))
    with pytest.raises(setup_script.LibraryBuildError, match="TEXTRNN_PREBUILT_LIBRARY=.*: no such file"):
        setup_script.library_to_package()
    monkeypatch.setenv("TEXTRNN_PREBUILT_LIBRARY", str(LIBRARY))
    assert setup_script.library_to_package() == LIBRARY


def test_sdist_carries_sources_only(tmp_path):
    # The PEP 517 hook pip and `python -m build` call, with the setuptools installed here.
    hook = f"from setuptools import build_meta; print(build_meta.build_sdist({str(tmp_path)!r}))"
    built = subprocess.run([sys.executable, "-c", hook], cwd=PYTHON_ROOT, env=clean_environment(),
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    sdist = tmp_path / built.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(name.endswith("textrnn/cli.py") for name in names) and any(name.endswith("setup.py") for name in names)
    heavy = [name for name in names if name.endswith((".so", ".csv", ".whl")) or ".build" in name or "/build/" in name]
    assert not heavy, f"the sdist carries build products or data: {heavy}"
    assert sdist.stat().st_size < 200_000

"""Build hook of the textrnn wheel: puts the native parts inside the package.

Metadata lives in pyproject.toml. ``build_py`` builds with SwiftPM in the TextRNN source tree
(``bindings/python/../..``, pip builds in place; or ``TEXTRNN_SOURCE_DIR``), reusing its
``.build`` so an already built tree installs in seconds, and copies next to the Python modules:
libtextrnn.so (inference), libtextrnn-trainer.so (training, textrnn.train) and the CLI as
``bin/textrnn`` (the ``textrnn`` console command runs it). Packagers with a build made elsewhere
set ``TEXTRNN_PREBUILT_LIBRARY`` to its libtextrnn.so; the other two are taken from the same
directory. `make wheel` then vendors json-c and OpenBLAS with auditwheel (manylinux). The wheel is tagged for this platform (``py3-none-linux_x86_64``): it holds native
code, but no CPython extension, so any Python 3 can load it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

LIBRARY_NAME = "libtextrnn.so"
HERE = Path(__file__).resolve().parent
# SwiftPM product file -> its place in the package. The library comes first: it names the directory.
ARTIFACTS = {LIBRARY_NAME: LIBRARY_NAME, "libtextrnn-trainer.so": "libtextrnn-trainer.so", "textrnn-cli": "bin/textrnn"}


class LibraryBuildError(SetupError):
    """libtextrnn.so could not be found or built; the message says why and what to do."""


def source_tree() -> Path:
    """The TextRNN checkout to build: TEXTRNN_SOURCE_DIR, else the repository around this file."""
    configured = os.environ.get("TEXTRNN_SOURCE_DIR")
    root = Path(configured).resolve() if configured else HERE.parents[1]
    if not (root / "Package.swift").is_file():
        origin = f"TEXTRNN_SOURCE_DIR={configured}" if configured else f"{root} (two levels above setup.py)"
        raise LibraryBuildError(
            f"no TextRNN source tree at {origin}: Package.swift is missing. Build from a checkout "
            "(`pip install ./bindings/python` in the repository root), point TEXTRNN_SOURCE_DIR at "
            f"one, or set TEXTRNN_PREBUILT_LIBRARY to a built {LIBRARY_NAME}."
        )
    return root


def swift_executable() -> str:
    """The swift driver: $SWIFT, else `swift` on PATH."""
    name = os.environ.get("SWIFT", "swift")
    found = shutil.which(name)
    if not found:
        raise LibraryBuildError(
            f"`{name}` not found on PATH: {LIBRARY_NAME} is built with SwiftPM, which needs a Swift 6 "
            "toolchain (and libjson-c-dev, pkg-config). Install one, set SWIFT to its driver, or set "
            f"TEXTRNN_PREBUILT_LIBRARY to a {LIBRARY_NAME} built elsewhere."
        )
    return found


def build_library() -> Path:
    """`swift build -c release` in the source tree (every product: the libraries and the CLI);
    the path of libtextrnn.so."""
    root = source_tree()
    swift = swift_executable()
    command = [swift, "build", "-c", "release"]
    print(f"building {LIBRARY_NAME}, the trainer library and the CLI: {' '.join(command)} (in {root})", flush=True)
    if subprocess.run(command, cwd=root).returncode != 0:
        raise LibraryBuildError(f"`{' '.join(command)}` failed in {root} (its output is above)")
    shown = subprocess.run(
        [swift, "build", "-c", "release", "--show-bin-path"], cwd=root, capture_output=True, text=True
    )
    if shown.returncode != 0:
        raise LibraryBuildError(f"`swift build --show-bin-path` failed in {root}: {shown.stderr.strip()}")
    library = Path(shown.stdout.strip()) / LIBRARY_NAME
    if not library.is_file():
        raise LibraryBuildError(f"SwiftPM reported success but {library} does not exist")
    return library


def library_to_package() -> Path:
    """TEXTRNN_PREBUILT_LIBRARY when set (it must exist), else a fresh SwiftPM build."""
    prebuilt = os.environ.get("TEXTRNN_PREBUILT_LIBRARY")
    if prebuilt:
        if not Path(prebuilt).is_file():
            raise LibraryBuildError(f"TEXTRNN_PREBUILT_LIBRARY={prebuilt}: no such file")
        return Path(prebuilt)
    return build_library()


def artifacts_to_package() -> dict:
    """Every file of ARTIFACTS (from libtextrnn.so's directory) -> its place in the package."""
    directory = library_to_package().parent
    found = {}
    for product, place in ARTIFACTS.items():
        path = directory / product
        if not path.is_file():
            raise LibraryBuildError(f"{path} not found beside {LIBRARY_NAME}: build every product (`swift build -c release`)")
        found[path] = place
    return found


class BuildPyWithLibrary(build_py):
    """build_py that also places the libraries and the CLI in the built package."""

    def run(self) -> None:
        # pip builds in place: start from an empty build/lib so no module deleted from the
        # sources lingers in the wheel.
        shutil.rmtree(Path(self.build_lib) / "textrnn", ignore_errors=True)
        super().run()
        for source, place in artifacts_to_package().items():
            target = Path(self.build_lib) / "textrnn" / place
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target), preserve_mode=True)


class NativeDistribution(Distribution):
    """Holds native code (the library), so the wheel is not pure: it installs to platlib."""

    def has_ext_modules(self) -> bool:
        return True


def platform_wheel():
    """A bdist_wheel that tags the wheel py3-none-PLATFORM: native code, but no CPython
    extension, so any Python 3 on this platform can load it through ctypes."""
    try:
        from setuptools.command.bdist_wheel import bdist_wheel
    except ImportError:  # setuptools < 70.1 with the `wheel` package
        from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        def get_tag(self):
            _, _, platform = super().get_tag()
            return "py3", "none", platform

    return PlatformWheel


if __name__ == "__main__":
    setup(distclass=NativeDistribution, cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": platform_wheel()})

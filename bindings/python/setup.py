"""Build hook of the textrnn wheel: puts libtextrnn.so inside the package.

Metadata lives in pyproject.toml. ``build_py`` builds the library with SwiftPM in the TextRNN
source tree (``bindings/python/../..``, pip builds in place; or ``TEXTRNN_SOURCE_DIR``),
reusing its ``.build`` so an already built tree installs in seconds, and copies it next to the
Python modules. Packagers with a library built elsewhere set ``TEXTRNN_PREBUILT_LIBRARY``
instead. The wheel is tagged for this platform (``py3-none-linux_x86_64``): it holds native
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
    """`swift build -c release --product textrnn` in the source tree; the library's path."""
    root = source_tree()
    swift = swift_executable()
    command = [swift, "build", "-c", "release", "--product", "textrnn"]
    print(f"building {LIBRARY_NAME}: {' '.join(command)} (in {root})", flush=True)
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


class BuildPyWithLibrary(build_py):
    """build_py that also places libtextrnn.so in the built package."""

    def run(self) -> None:
        # pip builds in place: start from an empty build/lib so no module deleted from the
        # sources lingers in the wheel.
        shutil.rmtree(Path(self.build_lib) / "textrnn", ignore_errors=True)
        super().run()
        target = Path(self.build_lib) / "textrnn" / LIBRARY_NAME
        self.mkpath(str(target.parent))
        self.copy_file(str(library_to_package()), str(target), preserve_mode=True)


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

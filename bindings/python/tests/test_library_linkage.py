"""libtextrnn.so as shipped: it exports the C API only and needs no Swift toolchain to load."""

from __future__ import annotations

import re
import subprocess


def _header_functions(repo) -> set[str]:
    header = (repo / "include" / "textrnn.h").read_text()
    return set(re.findall(r"\b(textrnn_[a-z_0-9]+)\s*\(", header))


def test_exports_exactly_the_header_functions(library_path):
    from conftest import REPO

    output = subprocess.run(["nm", "-D", "--defined-only", str(library_path)], capture_output=True, text=True, check=True).stdout
    exported = {line.split()[-1] for line in output.splitlines() if line.strip()}
    assert exported == _header_functions(REPO), f"exported symbols differ from include/textrnn.h: {sorted(exported ^ _header_functions(REPO))}"


def test_links_no_swift_library(library_path):
    output = subprocess.run(["ldd", str(library_path)], capture_output=True, text=True, check=True).stdout
    assert "libswift" not in output, output
    assert "libFoundation" not in output and "libdispatch" not in output, output


def test_loads_without_the_toolchain_on_the_library_path(library_path, tmp_path):
    # A fresh process with an empty LD_LIBRARY_PATH and the toolchain's lib directories out of
    # reach still loads the library and reports its version.
    script = (
        "import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); lib.textrnn_version.restype = ctypes.c_char_p; "
        "print(lib.textrnn_version().decode())"
    )
    result = subprocess.run(
        ["python3", "-c", script, str(library_path)], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": ""}
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+\.\d+\.\d+\n", result.stdout)


def test_c_api_guide_covers_every_header_function():
    # docs/c-api.md walks through the API; a function added to the header must appear in it.
    from conftest import REPO

    guide = (REPO / "docs" / "c-api.md").read_text()
    missing = sorted(name for name in _header_functions(REPO) if f"`{name}" not in guide)
    assert not missing, f"docs/c-api.md does not mention {missing}"


def _needed_libraries(library_path) -> set[str]:
    """The short names ("libc", "libjson-c") of the libraries the loader must find."""
    output = subprocess.run(["readelf", "-d", str(library_path)], capture_output=True, text=True, check=True).stdout
    names = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", output)
    return {re.sub(r"\.so(\.\d+)*$", "", name) for name in names}


def test_readme_and_guide_name_every_runtime_dependency(library_path):
    # README and docs/c-api.md say what the library needs at run time: every NEEDED entry.
    from conftest import REPO

    needed = {name for name in _needed_libraries(library_path) if not name.startswith("ld-linux")}
    assert "libjson-c" in needed, needed
    for document in ("README.md", "docs/c-api.md"):
        text = (REPO / document).read_text()
        sentence = re.search(r"depends on\s+(.*?)\.|needs only\s+(.*?)\.", text, re.S)
        assert sentence, f"{document} does not state the library's dependencies"
        stated = " ".join(part for part in sentence.groups() if part)
        missing = sorted(name for name in needed if name.removeprefix("lib") not in stated.replace("\n", " "))
        assert not missing, f"{document} does not name {missing} among the library's dependencies: {stated!r}"

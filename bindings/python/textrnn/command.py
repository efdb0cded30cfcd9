"""The ``textrnn`` console command of the wheel: runs the TextRNN CLI the wheel carries
(``textrnn/bin/textrnn``, the same program `make install` installs), with the same arguments."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

__all__ = ["main", "executable"]


def executable() -> Path:
    """The bundled CLI; TEXTRNN_CLI overrides it (a source checkout has none bundled)."""
    configured = os.environ.get("TEXTRNN_CLI")
    path = Path(configured) if configured else Path(__file__).resolve().parent / "bin" / "textrnn"
    if not os.access(path, os.X_OK):
        origin = f"TEXTRNN_CLI={configured}" if configured else str(path)
        raise SystemExit(f"textrnn: the CLI is not at {origin} (install the textrnn wheel, or set TEXTRNN_CLI)")
    return path


def main(argv: Optional[List[str]] = None) -> int:
    path = executable()
    arguments = sys.argv[1:] if argv is None else argv
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(str(path), [str(path), *arguments])
    return 0  # not reached: execv replaces the process

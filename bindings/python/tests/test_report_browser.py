"""The training report in a real browser (Debian's headless chromium): it loads with no console
message, and its screenshot shows the ROC and precision-recall curves of a binary task."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA, run_cli, slice_dataset

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CURVE_COLOUR = (0x94, 0x67, 0xBD)  # HTMLReport.curveColour, used by nothing else on the page


def _render(page: Path, screenshot: Path) -> str:
    """Loads `page` in headless chromium, writes a full-page screenshot, returns its log."""
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (apt-get install chromium)")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
         "--window-size=1200,5000", f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True, timeout=120)
    assert screenshot.exists(), result.stderr.decode(errors="replace")
    return result.stderr.decode(errors="replace")


def _console_messages(log: str) -> list[str]:
    return [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def _pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """Decodes an 8-bit RGB/RGBA, non-interlaced PNG (what chromium writes) into rows of pixels."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(chunks), width * channels
    rows, previous = [], np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).copy()
        if kind == 1:  # Sub: a running sum per channel
            line = (np.cumsum(line.reshape(width, channels).astype(np.int64), axis=0) % 256).astype(np.uint8).reshape(-1)
        elif kind == 2:  # Up
            line = line + previous
        elif kind in (3, 4):  # Average, Paeth: sequential along the row
            out, up = bytearray(line.tobytes()), previous.tobytes()
            for i in range(stride):
                left = out[i - channels] if i >= channels else 0
                if kind == 3:
                    out[i] = (out[i] + (left + up[i]) // 2) & 255
                else:
                    corner = up[i - channels] if i >= channels else 0
                    p = left + up[i] - corner
                    pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - corner)
                    out[i] = (out[i] + (left if pa <= pb and pa <= pc else up[i] if pb <= pc else corner)) & 255
            line = np.frombuffer(bytes(out), dtype=np.uint8)
        rows.append(line)
        previous = line
    return width, channels, rows


def _count_colour(png: Path, colour: tuple[int, int, int]) -> int:
    width, channels, rows = _pixels(png)
    image = np.stack(rows).reshape(len(rows), width, channels)[:, :, :3]
    return int(np.all(image == np.array(colour, dtype=np.uint8), axis=2).sum())


def test_the_harness_sees_console_errors_and_curve_pixels(tmp_path):
    # The checks below mean something only if they can fail.
    page = tmp_path / "control.html"
    page.write_text('<html><body><svg width="200" height="60"><line x1="0" y1="30" x2="200" y2="30" stroke="#9467bd" '
                    'stroke-width="3"/></svg><script>console.error("boom")</script></body></html>')
    log = _render(page, tmp_path / "control.png")
    assert any("boom" in line for line in _console_messages(log)), log
    assert _count_colour(tmp_path / "control.png", CURVE_COLOUR) >= 200 * 2


def test_binary_report_loads_cleanly_and_shows_the_curves(cli, tmp_path):
    train = slice_dataset(DATA / "imdb" / "train.csv", tmp_path / "train.csv", 200)
    report = tmp_path / "report.html"
    run_cli(cli, "train", "--train", str(train), "--output", str(tmp_path / "imdb.textrnn"), "--report", str(report),
            "--units", "8", "--embedding-dim", "8", "--max-tokens", "2000", "--sequence-length", "64", "--epochs", "2",
            "--bag", "false", "--quiet")
    html = report.read_text()
    assert "ROC (AUC" in html and "Precision-recall (AP" in html
    assert "validation accuracy" in html and "weights kept from epoch" in html
    log = _render(report, tmp_path / "report.png")
    assert _console_messages(log) == [], log
    # Two curves of several hundred pixels each, 3 px wide.
    assert _count_colour(tmp_path / "report.png", CURVE_COLOUR) > 1500

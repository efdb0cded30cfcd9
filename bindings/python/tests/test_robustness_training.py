"""Training faults: SIGKILL mid-epoch then --resume, a full disk, an unwritable output path, a
diverging loss. Small slices of ag_news_mini, so each test runs in seconds."""

from __future__ import annotations

import json
import math
import os
import re
import resource
import signal
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import DATA, run_cli, slice_dataset

FAST = ["--cell", "gru", "--units", "8", "--embedding-dim", "8", "--max-tokens", "1500", "--sequence-length", "32",
        "--batch-size", "16", "--learning-rate", "0.01", "--seed", "11", "--threads", "1"]


@pytest.fixture(scope="module")
def train_csv(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("faults")
    return slice_dataset(DATA / "ag_news_mini" / "train.csv", directory / "train.csv", 120)


@pytest.fixture(scope="module")
def reference_bundle(cli, train_csv, tmp_path_factory) -> Path:
    """The uninterrupted run every interrupted one must reproduce byte for byte."""
    bundle = tmp_path_factory.mktemp("reference") / "ref.textrnn"
    run_cli(cli, "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", "--quiet", *FAST)
    return bundle


def _same_bundle(a: Path, b: Path) -> None:
    for name in ("manifest.json", "weights.bin"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs"


def _checkpoint_epoch(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    header = json.loads(data[data.index(b"\n") + 1:data.index(b"\n", data.index(b"\n") + 1)])
    return header["epoch"], header["batch"]


def test_sigkill_mid_epoch_then_resume_reproduces_the_bundle(cli, train_csv, reference_bundle, tmp_path):
    bundle = tmp_path / "killed.textrnn"
    checkpoint = Path(str(bundle) + ".checkpoint")
    # Not --quiet: with stderr a pipe the trainer prints "Epoch E/4 batch B/N" about every 10%.
    process = subprocess.Popen(
        [str(cli), "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", *FAST],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed_at = None
    try:
        for line in process.stderr:
            fields = line.split()
            if len(fields) >= 4 and fields[0] == "Epoch" and fields[1] == "3/4" and fields[2] == "batch":
                done, total = map(int, fields[3].split("/"))
                if done < total:
                    process.send_signal(signal.SIGKILL)
                    killed_at = (3, done, total)
                    break
    finally:
        process.wait(timeout=120)
        process.stderr.close()
    assert killed_at is not None, "never saw epoch 3 in progress"
    assert process.returncode == -signal.SIGKILL
    assert not bundle.exists(), "a killed run writes no bundle"
    # The checkpoint of epoch 2 survived; at most the epoch in progress (3) is lost. (On a
    # heavily loaded machine epoch 3 may have finished before the signal landed: then its
    # checkpoint is the one left, and resuming starts at epoch 4.)
    epoch, batch = _checkpoint_epoch(checkpoint)
    assert epoch in (2, 3) and batch == 0

    resumed = run_cli(cli, "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", "--resume", *FAST)
    assert "resuming from" in resumed.stderr.decode() and f"at epoch {epoch + 1}, batch 1" in resumed.stderr.decode()
    _same_bundle(reference_bundle, bundle)
    assert not checkpoint.exists()


def test_unwritable_output_path_is_a_clear_error(cli, train_csv, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory is expected")
    output = blocker / "model.textrnn"
    result = run_cli(cli, "train", "--train", str(train_csv), "--output", str(output), "--epochs", "1", "--quiet",
                     *FAST, check=False)
    assert result.returncode != 0
    message = result.stderr.decode()
    assert str(output) in message and "cannot write" in message, message
    assert "Fatal error" not in message and "Stack dump" not in message


def _limit_file_size(limit: int):
    def apply():
        # A write past the limit fails with EFBIG (like ENOSPC on a full disk) instead of killing
        # the process with SIGXFSZ.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_keeps_the_previous_checkpoint(cli, train_csv, reference_bundle, tmp_path):
    bundle = tmp_path / "full.textrnn"
    checkpoint = Path(str(bundle) + ".checkpoint")
    # Stop after epoch 2 with Ctrl-C semantics is not needed: train 2 of 4 epochs' worth by
    # killing right after the epoch-2 checkpoint, then resume with a file-size limit below the
    # checkpoint's size, so the epoch-3 checkpoint cannot be written.
    process = subprocess.Popen(
        [str(cli), "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", *FAST],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if line.startswith("Epoch 3/4 batch"):
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.wait(timeout=120)
        process.stderr.close()
    before = checkpoint.read_bytes()
    assert _checkpoint_epoch(checkpoint) in ((2, 0), (3, 0))

    result = subprocess.run(
        [str(cli), "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", "--resume", "--quiet", *FAST],
        capture_output=True, timeout=300, preexec_fn=_limit_file_size(len(before) // 2))
    message = result.stderr.decode()
    assert result.returncode != 0
    assert "cannot write" in message and str(checkpoint) in message, message
    assert "Fatal error" not in message
    assert checkpoint.read_bytes() == before, "the previous checkpoint is intact"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name], "no temporary files are left behind"

    # With space again, --resume still reaches the uninterrupted run's bundle.
    run_cli(cli, "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", "--resume", "--quiet", *FAST)
    _same_bundle(reference_bundle, bundle)


def _can_mount_tmpfs(target: Path) -> bool:
    if os.geteuid() != 0:
        return False
    target.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(target)], capture_output=True)
    if done.returncode != 0:
        return False
    subprocess.run(["umount", str(target)], capture_output=True)
    return True


def test_full_tmpfs_keeps_the_previous_checkpoint(cli, train_csv, tmp_path):
    """A real ENOSPC: the output directory is a tmpfs that holds one checkpoint but not two (the
    atomic write needs the old and the new file at once). Needs root and mount."""
    mountpoint = tmp_path / "disk"
    if not _can_mount_tmpfs(mountpoint):
        pytest.skip("needs root and a working `mount -t tmpfs` (the RLIMIT_FSIZE test covers the same path)")
    # Size the disk from a real checkpoint of this configuration.
    probe = tmp_path / "probe.textrnn"
    process = subprocess.Popen(
        [str(cli), "train", "--train", str(train_csv), "--output", str(probe), "--epochs", "4", *FAST],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if line.startswith("Epoch 2/4 batch"):
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.wait(timeout=120)
        process.stderr.close()
    size = Path(str(probe) + ".checkpoint").stat().st_size
    pages = (size + 4095) // 4096
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={(pages * 3 // 2 + 1) * 4096}", "tmpfs", str(mountpoint)], check=True)
    try:
        bundle = mountpoint / "model.textrnn"
        checkpoint = Path(str(bundle) + ".checkpoint")
        result = run_cli(cli, "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", "--quiet",
                         *FAST, check=False)
        message = result.stderr.decode()
        assert result.returncode != 0
        assert "cannot write" in message and "space" in message.lower(), message
        assert _checkpoint_epoch(checkpoint) == (1, 0), "the epoch-1 checkpoint is intact"
        assert [p.name for p in mountpoint.iterdir()] == [checkpoint.name]
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def _finite_checkpoint(path: Path) -> bool:
    data = path.read_bytes()
    body = data[data.index(b"\n", data.index(b"\n") + 1) + 1:-4]
    values = struct.unpack(f"<{len(body) // 4}f", body)
    return all(math.isfinite(v) for v in values)


def test_diverging_loss_stops_with_a_message(cli, train_csv, tmp_path, monkeypatch):
    """A NaN loss in epoch 1 (injected: TEXTRNN_FAULT_NAN_AT; real divergence depends on the
    numerics of the day): a message even with --quiet, no bundle, no crash."""
    bundle = tmp_path / "nan.textrnn"
    monkeypatch.setenv("TEXTRNN_FAULT_NAN_AT", "1:3")
    result = run_cli(cli, "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "3", "--quiet",
                     *FAST, check=False)
    message = result.stderr.decode()
    assert result.returncode == 1, message
    assert "stopped:" in message and "became nan" in message and "epoch 1, batch 3" in message, message
    assert "--learning-rate" in message
    assert "Fatal error" not in message
    assert not bundle.exists(), "no bundle is exported from diverged weights"


def test_divergence_after_good_epochs_keeps_the_last_good_checkpoint(cli, train_csv, tmp_path, monkeypatch):
    """NaN in epoch 3 after two good epochs: training stops with a message naming that epoch,
    writes no bundle, and the epoch-2 checkpoint (finite values only) stays and resumes."""
    bundle = tmp_path / "diverge.textrnn"
    checkpoint = Path(str(bundle) + ".checkpoint")
    monkeypatch.setenv("TEXTRNN_FAULT_NAN_AT", "3:2")
    result = run_cli(cli, "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", "--quiet",
                     *FAST, check=False)
    message = result.stderr.decode()
    assert result.returncode == 1, message
    assert re.search(r"stopped: loss became nan at epoch 3, batch 2", message), message
    assert not bundle.exists()
    assert _checkpoint_epoch(checkpoint) == (2, 0)
    assert _finite_checkpoint(checkpoint)
    monkeypatch.delenv("TEXTRNN_FAULT_NAN_AT")
    resumed = run_cli(cli, "train", "--train", str(train_csv), "--output", str(bundle), "--epochs", "4", "--quiet",
                      "--resume", *FAST, check=False)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert bundle.exists()

"""Issue 14: outputs that never lose the user's files, one flag convention across every command
(docs/cli.md), and errors that say what is wrong where. Each test failed before the fix."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import DATA, REPO, run_cli, slice_dataset

TINY = ["--cell", "gru", "--units", "4", "--embedding-dim", "4", "--max-tokens", "500", "--sequence-length", "16",
        "--epochs", "1", "--batch-size", "32", "--bag", "false", "--seed", "3", "--threads", "1"]

# The user commands of docs/cli.md and a valid invocation of each, minus what a test adds.
RESULT_COMMANDS = ["evaluate", "predict", "explain", "inspect", "quantize"]
THREADED_COMMANDS = ["evaluate", "predict", "explain", "quantize"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return slice_dataset(DATA / "ag_news_mini" / "train.csv", tmp_path_factory.mktemp("conventions") / "train.csv", 25)


@pytest.fixture(scope="module")
def bundle(cli, data, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "m.textrnn"
    run_cli(cli, "train", "--train", str(data), "--output", str(path), "--quiet", *TINY)
    return path


def _invocation(command: str, bundle: Path, data: Path, tmp_path: Path) -> list[str]:
    return {
        "evaluate": ["evaluate", str(bundle), str(data)],
        "predict": ["predict", str(bundle)],
        "explain": ["explain", str(bundle), "some text"],
        "inspect": ["inspect", str(bundle)],
        "quantize": ["quantize", str(bundle), "--output", str(tmp_path / "q.textrnn")],
    }[command]


def _tree(path: Path) -> dict:
    """Every file under `path` with its bytes (the state a refused command must leave)."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# ---- Items 1-3: data safety -------------------------------------------------------------------

def _refused_before_work(result: subprocess.CompletedProcess, fragment: str) -> None:
    message = result.stderr.decode()
    assert result.returncode == 1, message
    assert fragment in message, message
    assert "Epoch" not in message and "train:" not in message, "refused only after starting work"


def test_train_refuses_a_folder_that_is_not_a_bundle_and_touches_nothing(cli, data, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    (folder / "manifest.json").write_text("mine")
    before = _tree(tmp_path)
    result = run_cli(cli, "train", "--train", str(data), "--output", str(folder), *TINY, check=False)
    _refused_before_work(result, f"{folder}: exists and is not a bundle")
    assert _tree(tmp_path) == before and sorted(os.listdir(tmp_path)) == ["out"], "nothing renamed, deleted or added"


def test_train_refuses_a_plain_file_as_output(cli, data, tmp_path):
    target = tmp_path / "model"
    target.write_text("a file of mine")
    result = run_cli(cli, "train", "--train", str(data), "--output", str(target), *TINY, check=False)
    _refused_before_work(result, "exists and is not a bundle (not a directory)")
    assert target.read_text() == "a file of mine" and os.listdir(tmp_path) == ["model"]


def test_train_replaces_an_existing_bundle(cli, data, bundle, tmp_path):
    target = tmp_path / "again.textrnn"
    shutil.copytree(bundle, target)
    run_cli(cli, "train", "--train", str(data), "--output", str(target), "--quiet", *TINY, "--seed", "4")
    assert sorted(os.listdir(target)) == ["manifest.json", "weights.bin"] and os.listdir(tmp_path) == ["again.textrnn"]


@pytest.mark.parametrize("which", ["output", "report", "checkpoint"])
def test_train_checks_every_output_path_before_training(cli, data, tmp_path, which):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    output, report = tmp_path / "m.textrnn", tmp_path / "report.html"
    if which == "output":
        output = tmp_path / "missing" / "m.textrnn"
    elif which == "report":
        report = blocker / "report.html"
    else:
        (tmp_path / "m.textrnn.checkpoint").mkdir()
    started = time.monotonic()
    result = run_cli(cli, "train", "--train", str(data), "--output", str(output), "--report", str(report), *TINY, check=False)
    _refused_before_work(result, {"output": "missing: no such directory", "report": "a-file: not a directory",
                                  "checkpoint": "m.textrnn.checkpoint: is a directory"}[which])
    assert not (tmp_path / "m.textrnn").exists(), "no bundle written by a run that fails"
    assert time.monotonic() - started < 30


def test_quantize_checks_its_output_first_and_refuses_an_int8_bundle(cli, bundle, data, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"user data")
    (folder / "todo.txt").write_text("keep")
    before = _tree(tmp_path)
    result = run_cli(cli, "quantize", str(bundle), "--output", str(folder), "--validation", str(data), check=False)
    assert result.returncode == 1 and "exists and is not a bundle" in result.stderr.decode()
    assert _tree(tmp_path) == before

    result = run_cli(cli, "quantize", str(bundle), "--output", str(tmp_path / "no" / "q.textrnn"), check=False)
    assert result.returncode == 1 and "no: no such directory" in result.stderr.decode()

    int8 = tmp_path / "q.textrnn"
    run_cli(cli, "quantize", str(bundle), "--output", str(int8))
    result = run_cli(cli, "quantize", str(int8), "--output", str(tmp_path / "qq.textrnn"), check=False)
    assert result.returncode == 1 and "is already int8" in result.stderr.decode(), result.stderr
    assert not (tmp_path / "qq.textrnn").exists()


# ---- Item 5: one convention across commands ----------------------------------------------------

def _help(cli, command: str) -> str:
    return run_cli(cli, command, "--help").stdout.decode()


def _options(help_text: str) -> dict[str, str]:
    """Each listed flag of an ArgumentParser help screen and its help text (continuation lines
    joined)."""
    options: dict[str, str] = {}
    current = None
    for line in help_text.split("OPTIONS:", 1)[1].splitlines():
        match = re.match(r"\s{2}(--[a-z0-9-]+)(?: <[^>]+>)?(?:\s{2,}(.*))?$", line)
        if match:
            current = match.group(1)
            options[current] = match.group(2) or ""
        elif current and line.startswith(" " * 8):
            options[current] += " " + line.strip()
    return options


@pytest.mark.parametrize("command", THREADED_COMMANDS)
def test_threads_means_the_same_everywhere(cli, bundle, data, tmp_path, command):
    options = _options(_help(cli, command))
    assert "0 = one per CPU" in options["--threads"] and "(default: 0)" in options["--threads"], options["--threads"]
    # A negative value is a value (refused by the range check), not an unknown flag "-1".
    result = run_cli(cli, *_invocation(command, bundle, data, tmp_path), "--threads", "-1", check=False, input=b"x\n")
    message = result.stderr.decode()
    assert result.returncode == 64 and message.startswith("textrnn: --threads must be 0 (one per CPU) or more\n"), message
    assert f"Usage: textrnn {command} " in message and f"textrnn {command} --help" in message, "the command's usage, not the root's"
    run_cli(cli, *_invocation(command, bundle, data, tmp_path), "--threads", "0", input=b"x\n")


@pytest.mark.parametrize("command", RESULT_COMMANDS)
def test_json_output_is_one_flag_everywhere(cli, bundle, data, tmp_path, command):
    assert "--json" in _options(_help(cli, command))
    out = run_cli(cli, *_invocation(command, bundle, data, tmp_path), "--json", input=b"x\n").stdout.decode()
    json.loads(out.splitlines()[0] if command in ("predict", "explain") else out)


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "explain", "inspect", "quantize"])
def test_errors_read_textrnn_reason_in_every_command(cli, data, tmp_path, command):
    missing = str(tmp_path / "none.textrnn")
    args = {"train": ["train", "--train", str(tmp_path / "none.csv"), "--output", missing],
            "evaluate": ["evaluate", missing, str(data)], "predict": ["predict", missing],
            "explain": ["explain", missing, "x"], "inspect": ["inspect", missing],
            "quantize": ["quantize", missing, "--output", str(tmp_path / "q.textrnn")]}[command]
    result = run_cli(cli, *args, check=False, input=b"x\n")
    message = result.stderr.decode()
    assert result.returncode == 1 and message.startswith("textrnn: ") and "none." in message, message
    assert "Error:" not in message and "TextRNNError" not in message and "DataError" not in message, message
    unknown = run_cli(cli, command, "--no-such-flag", check=False)
    assert unknown.returncode == 64 and unknown.stderr.decode().startswith("textrnn: ")
    assert f"Usage: textrnn {command}" in unknown.stderr.decode()


def test_old_spellings_still_work(cli, bundle, data, tmp_path):
    text = b"stocks and bonds\n"
    assert (run_cli(cli, "predict", str(bundle), "--format", "tsv", input=text).stdout
            == run_cli(cli, "predict", str(bundle), "--tsv", input=text).stdout)
    assert (run_cli(cli, "explain", str(bundle), "--format", "json", "--top", "2", "stocks and bonds").stdout
            == run_cli(cli, "explain", str(bundle), "--json", "--top-k", "2", "stocks and bonds").stdout)
    assert (run_cli(cli, "evaluate", str(bundle), str(data), "--format", "csv", "--json").stdout
            == run_cli(cli, "evaluate", str(bundle), str(data), "--data-format", "csv", "--json").stdout)
    for command, old in (("predict", "--format"), ("explain", "--top"), ("evaluate", "--format")):
        assert old not in _options(_help(cli, command)), f"{command} still lists {old}"


def test_every_flag_has_help_and_docs_list_them(cli):
    # Item 6 (the flags this work owns) and the acceptance: docs/cli.md names every flag.
    guide = (REPO / "docs" / "cli.md").read_text()
    for command in ["evaluate", "predict", "explain", "inspect", "quantize", "train"]:
        options = _options(_help(cli, command))
        own = options if command != "train" else {
            flag: text for flag, text in options.items() if flag in
            ("--train", "--validation", "--output", "--report", "--resume", "--progress", "--quiet", "--quantize",
             "--autotune", "--autotune-trials", "--data-format", "--text-column", "--label-column",
             "--label-separator", "--encoding", "--no-header", "--skip-bad-rows")}
        for flag, text in own.items():
            if flag in ("--help", "--version"):
                continue
            assert text.strip(), f"textrnn {command} {flag} has no help text"
            assert f"`{flag}" in guide, f"docs/cli.md does not list textrnn {command} {flag}"
    assert run_cli(cli, "--version").stdout.decode().startswith("textrnn ")


# ---- Item 7: --config errors ---------------------------------------------------------------------

@pytest.mark.parametrize("config, expected", [
    ('{"units": "64"}', 'config: "units" must be int list of 1 or more sizes in 1...4096'),
    ('{"units": [64, "a"]}', 'config: "units" must be int list of 1 or more sizes in 1...4096'),
    ('{"epochs": 3,\n "units": [64,}', "invalid JSON at line 2, column 15"),
    ('{"cell": "lstmx"}', 'config: "cell" must be one of lstm, gru, simple-rnn'),
])
def test_config_errors_name_the_key_and_the_position(cli, data, tmp_path, config, expected):
    path = tmp_path / "config.json"
    path.write_text(config)
    result = run_cli(cli, "train", "--train", str(data), "--output", str(tmp_path / "m.textrnn"), "--config", str(path), check=False)
    message = result.stderr.decode()
    assert result.returncode == 64 and message.startswith(f"textrnn: {path}: {expected}"), message
    assert "DecodingError" not in message and "Array<Any>" not in message and "Swift" not in message


# ---- Item 8: inspect ---------------------------------------------------------------------------

def test_inspect_summarizes_the_training_record(cli, bundle):
    text = run_cli(cli, "inspect", str(bundle)).stdout.decode()
    training = text.split("Training:\n", 1)[1]
    assert "0.0020000000949949026" not in training and "{" not in training.split("Hyperparameters")[0]
    words = " ".join(training.split())  # lines wrapped to 79 columns, joined
    assert re.search(r"Data: .*train.csv \(\d+ training rows, \d+ validation rows\)", words), training
    assert re.search(r"Metrics \(validation data\): loss \d\.\d{4}, accuracy \d\.\d{4}", words), training
    assert re.search(r"History:\n\s+epoch\s+loss\s+accuracy\s+val_loss\s+val_accuracy\n\s+1\s+\d\.\d{4}", training), training
    assert "\n    --learning-rate 0.002\n" in training, training
    weights = next(line for line in text.splitlines() if line.startswith("Weights:"))
    assert weights.count("bytes") == 1, weights
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert json.loads(run_cli(cli, "inspect", str(bundle), "--json").stdout)["training"] == manifest["training"]


def test_inspect_uses_keras_layer_names(cli, tmp_path, data):
    bundle = tmp_path / "max.textrnn"
    run_cli(cli, "train", "--train", str(data), "--output", str(bundle), "--quiet", *TINY, "--pooling", "max")
    text = run_cli(cli, "inspect", str(bundle)).stdout.decode()
    assert "global_max_pooling1d (GlobalMaxPooling1D)" in text, text


# ---- Items 10 and 11: data errors and input forms ---------------------------------------------

def test_skipped_rows_are_counted_and_reported(cli, bundle, data, tmp_path):
    bad = tmp_path / "bad.csv"
    lines = data.read_text().splitlines()
    bad.write_text("\n".join(lines[:3] + ["World,a,b,c"] + lines[3:6] + ["Sports,"]) + "\n")
    result = run_cli(cli, "evaluate", str(bundle), str(bad), "--skip-bad-rows", "--json")
    assert json.loads(result.stdout)["skipped_rows"] == 2
    assert f"{bad}: skipped 2 bad rows (first: {bad}:4: expected 2 fields" in result.stderr.decode(), result.stderr


def test_data_error_messages(cli, bundle, tmp_path):
    header_only = tmp_path / "header.csv"
    header_only.write_text("label,text\n")
    result = run_cli(cli, "train", "--train", str(header_only), "--output", str(tmp_path / "m.textrnn"), check=False)
    assert result.returncode == 1 and f"textrnn: {header_only}: no data rows" in result.stderr.decode(), result.stderr
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"label,text\nWorld,caf\xe9\n")
    result = run_cli(cli, "evaluate", str(bundle), str(latin), check=False)
    assert "use --encoding latin1" in result.stderr.decode(), result.stderr


def test_resume_with_other_settings_says_which(cli, data, tmp_path):
    output = tmp_path / "r.textrnn"
    checkpoint = Path(str(output) + ".checkpoint")
    process = subprocess.Popen([str(cli), "train", "--train", str(data), "--output", str(output), *TINY, "--epochs", "50",
                                "--early-stopping", "0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in process.stderr:
        if line.startswith("Epoch 2/50 "):
            process.kill()
            break
    process.wait(timeout=60)
    assert checkpoint.exists()
    result = run_cli(cli, "train", "--train", str(data), "--output", str(output), *TINY, "--epochs", "50",
                     "--early-stopping", "0", "--learning-rate", "0.05", "--resume", check=False)
    message = result.stderr.decode()
    assert result.returncode == 1 and "other settings (learning_rate: checkpoint 0.002" in message and "now 0.05" in message, message


def test_gzip_stdin_and_headerless_input(cli, bundle, data, tmp_path):
    expected = json.loads(run_cli(cli, "evaluate", str(bundle), str(data), "--json").stdout)
    compressed = tmp_path / "train.csv.gz"
    compressed.write_bytes(gzip.compress(data.read_bytes()))
    assert json.loads(run_cli(cli, "evaluate", str(bundle), str(compressed), "--json").stdout) == expected
    assert json.loads(run_cli(cli, "evaluate", str(bundle), "-", "--json", input=data.read_bytes()).stdout) == expected
    headerless = tmp_path / "plain.csv"
    headerless.write_text(data.read_text().split("\n", 1)[1])
    assert json.loads(run_cli(cli, "evaluate", str(bundle), str(headerless), "--no-header", "--json").stdout) == expected
    # And training reads them all the same way: the same seed gives the same bundle bytes.
    for name, source, extra, stdin in (("gz", compressed, [], None), ("stdin", "-", [], data.read_bytes()),
                                       ("plain", data, [], None), ("headerless", headerless, ["--no-header"], None)):
        run_cli(cli, "train", "--train", str(source), "--output", str(tmp_path / f"{name}.textrnn"), "--quiet", *TINY, *extra, input=stdin)
    reference = (tmp_path / "plain.textrnn" / "weights.bin").read_bytes()
    for name in ("gz", "stdin", "headerless"):
        assert (tmp_path / f"{name}.textrnn" / "weights.bin").read_bytes() == reference, name


# ---- Item 4: the progress bar in an 80-column terminal -----------------------------------------

def screen_of_80_columns(command: str, tmp_path: Path, joined: bool = False) -> str:
    """Runs the shell `command` (with COLUMNS unset) in an 80-column tmux terminal and returns what
    it left on the screen and in the scrollback; `joined`: lines the terminal wrapped are joined
    back (tmux's -J), so that a line longer than 80 characters shows."""
    tmux = shutil.which("tmux")
    assert tmux, "tmux is needed for the terminal tests (apt-get install tmux)"
    socket = f"textrnn-test-{os.getpid()}"
    done = tmp_path / "done"
    script = f"unset COLUMNS; {command}; echo $? > {done}; sleep 30"
    subprocess.run([tmux, "-L", socket, "-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "60", script], check=True)
    try:
        deadline = time.monotonic() + 180
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert done.exists() and done.read_text().strip() == "0"
        capture = [tmux, "-L", socket, "capture-pane", "-p", "-S", "-"] + (["-J"] if joined else [])
        return subprocess.run(capture, capture_output=True, text=True, check=True).stdout
    finally:
        subprocess.run([tmux, "-L", socket, "kill-server"], check=False)


def test_progress_bar_redraws_in_place_in_80_columns(cli, data, tmp_path):
    screen = screen_of_80_columns(
        f"{cli} train --train {data} --output {tmp_path / 'm.textrnn'} {' '.join(TINY)} --epochs 3 --early-stopping 0 --batch-size 4",
        tmp_path)
    lines = [line for line in screen.splitlines() if line.strip()]
    epoch_lines = [line for line in lines if line.startswith("Epoch")]
    # One line per epoch is left on screen: every redraw of the bar overwrote the previous one.
    assert len(epoch_lines) == 3, screen
    assert all(re.fullmatch(r"Epoch \d/3  \d+\.\ds  loss \d\.\d{4}  acc \d\.\d{4}  val_loss \d\.\d{4}  val_acc \d\.\d{4}", line)
               for line in epoch_lines), screen


def test_training_messages_and_inspect_fit_80_columns(cli, data, tmp_path):
    """What training writes to an 80-column terminal fits it: the bag's log lines (some over 100
    characters in a log) wrap at words, and the autotune table puts each trial's recipe under
    its numbers. Standard output (the evaluation tables, the output path) goes to a file.
    `inspect` fits 79 columns too, the search's trials included."""
    common = f"--train {data} --seed 3 --threads 1"
    screen = screen_of_80_columns(
        f"{cli} train {common} --output {tmp_path / 'a.textrnn'} > {tmp_path / 'a.txt'} && "
        f"{cli} train {common} --output {tmp_path / 'b.textrnn'} --autotune-trials 2 > {tmp_path / 'b.txt'}", tmp_path, joined=True)
    lines = [line for line in screen.splitlines() if line.strip()]
    assert any(line.startswith("bag: validation loss by mix w:") for line in lines), screen
    assert any(line.startswith("trial  val_acc  epochs") for line in lines), screen
    assert [line for line in lines if len(line) > 79] == [], screen
    plain = run_cli(cli, "train", *common.split(), "--output", str(tmp_path / "c.textrnn")).stderr.decode()
    assert max(len(line) for line in plain.splitlines()) > 100, "in a log, a message stays one line"
    # A relative path: a path is one word, which no wrapping can shorten.
    inspected = subprocess.run([str(cli), "inspect", "b.textrnn"], cwd=tmp_path, capture_output=True, check=True).stdout.decode()
    assert "autotune:" in inspected and [line for line in inspected.splitlines() if len(line) > 79] == [], inspected


def test_inspect_rounds_what_the_record_keeps_in_double(cli, data, tmp_path):
    """Accuracies over 7 validation rows (k/7) are stored whole in the manifest; `inspect` shows
    them to six significant digits, `inspect --json` as stored."""
    path = tmp_path / "m.textrnn"
    run_cli(cli, "train", "--train", str(data), "--output", str(path), "--quiet", "--validation-split", "0.07",
            "--autotune-trials", "1", *TINY)
    record = json.loads(run_cli(cli, "inspect", "--json", str(path)).stdout)["training"]

    def numbers(value):
        if isinstance(value, dict):
            return [n for v in value.values() for n in numbers(v)]
        if isinstance(value, list):
            return [n for v in value for n in numbers(v)]
        return [value] if isinstance(value, float) else []
    long = [n for n in numbers({k: v for k, v in record.items() if k not in ("history", "metrics")})
            if len(repr(n)) > 8 and struct.unpack("f", struct.pack("f", n))[0] != n]
    assert long, record
    shown = run_cli(cli, "inspect", str(path)).stdout.decode()
    assert all(f"{n:.6g}" in shown for n in long) and not re.search(r"\d\.\d{7,}", shown), shown


def test_progress_levels_when_not_a_terminal(cli, data, tmp_path):
    plain = run_cli(cli, "train", "--train", str(data), "--output", str(tmp_path / "a.textrnn"), *TINY, "--epochs", "2",
                    "--batch-size", "4").stderr.decode()
    assert "\r" not in plain and "\x1b" not in plain
    assert re.search(r"^Epoch 1/2 batch \d+/\d+ \(\d+%\)", plain, re.M) and not re.search(r"^epoch", plain, re.M), plain
    epochs = run_cli(cli, "train", "--train", str(data), "--output", str(tmp_path / "b.textrnn"), *TINY, "--epochs", "2",
                     "--batch-size", "4", "--progress", "epochs").stderr.decode()
    def summaries(text: str) -> list[str]:
        return [re.sub(r"\d+\.\ds", "Ts", line) for line in text.splitlines() if line.startswith("Epoch") and " batch " not in line]
    assert len(summaries(epochs)) == 2 and summaries(epochs) == summaries(plain)
    assert " batch " not in epochs

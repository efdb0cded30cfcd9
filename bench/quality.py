#!/usr/bin/env python3
"""Model quality of TextRNN against a fixed scikit-learn baseline, on the shared datasets.

One run trains and scores, per dataset: TextRNN with no flags, any named TextRNN variants
(--config-name NAME --textrnn-args "..."), and TF-IDF + LogisticRegressionCV. Two modes:

  --split validation (default)  stratified 90/10 split of train.csv (fixed seed), train on the
                                90 %, score on the 10 %; test.csv is never opened. Use this for
                                every development decision.
  --split test                  train on train.csv, score on test.csv. The final, once-only score.

Results: a Markdown table on stdout and bench/results/quality-<split>-<YYYYMMDD-HHMM>.{md,json}
(+ a .logs/ folder with each TextRNN train log). Exit status 1 if any system failed.
"""
import argparse, csv, json, os, pickle, shlex, subprocess, sys, tempfile, shutil, time, warnings
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ["imdb", "20news", "ag_news_mini"]
VALIDATION_FRACTION = 0.1
CS = [0.5, 2, 8, 32]


class ConfigArgs(argparse.Action):
    """Pairs each --textrnn-args with the --config-name given before it, so that several named
    variants can be listed in one command line, in order."""

    def __call__(self, parser, ns, value, option):
        configs = getattr(ns, "configs", None) or []
        if option == "--config-name":
            ns.pending_name = value
        else:
            name = getattr(ns, "pending_name", None) or f"textrnn[{value}]"
            configs.append((name, shlex.split(value)))
            ns.pending_name = None
        ns.configs = configs


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=["validation", "test"], default="validation",
                   help="what is scored (default: validation; test is for the final score only)")
    p.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated (default: all)")
    p.add_argument("--data", default=os.environ.get("TEXTRNN_DATA", str(ROOT.parent / "shared" / "data")),
                   help="dataset folder (default: $TEXTRNN_DATA or ../shared/data)")
    p.add_argument("--textrnn", default=str(ROOT / "bin" / "textrnn"), help="the CLI (default: bin/textrnn)")
    p.add_argument("--config-name", action=ConfigArgs, metavar="NAME",
                   help="name of the next --textrnn-args variant")
    p.add_argument("--textrnn-args", action=ConfigArgs, metavar="ARGS",
                   help='extra `textrnn train` arguments, one variant per use, e.g. "--epochs 3" '
                        '(a lone flag needs the = form: --textrnn-args=--quiet)')
    p.add_argument("--skip-baseline", action="store_true", help="TextRNN only")
    p.add_argument("--skip-no-flags", action="store_true",
                   help="only the named --textrnn-args variants (and the baseline), not TextRNN with no flags")
    p.add_argument("--baseline-only", action="store_true", help="the scikit-learn baseline only")
    p.add_argument("--seed", type=int, default=42, help="seed of the 90/10 split (default: 42)")
    p.add_argument("--results", default=str(ROOT / "bench" / "results"), help="output folder")
    p.add_argument("--keep", action="store_true", help="keep the /tmp work folder (splits, bundles)")
    args = p.parse_args()
    args.configs = getattr(args, "configs", None) or []
    if getattr(args, "pending_name", None):
        p.error(f"--config-name {args.pending_name} has no --textrnn-args after it")
    if args.skip_no_flags and not args.configs and args.skip_baseline:
        p.error("--skip-no-flags with --skip-baseline and no --textrnn-args leaves nothing to run")
    if args.skip_baseline and args.baseline_only:
        p.error("--skip-baseline and --baseline-only exclude each other")
    args.datasets = [d for d in args.datasets.split(",") if d]
    for d in args.datasets:
        # Any folder of --data with a train.csv (label,text) works: the shared three are the
        # default; others (e.g. short-text variants made for a robustness check) name theirs.
        if d not in DATASETS and not (Path(args.data) / d / "train.csv").is_file():
            p.error(f"unknown dataset {d!r}: not one of {', '.join(DATASETS)} and no {Path(args.data) / d / 'train.csv'}")
    return args


def die(message):
    """Missing inputs stop the run before any training: a silently skipped dataset would make a
    table that looks complete but is not comparable with earlier ones."""
    sys.exit(f"quality.py: error: {message}")


def read_csv(path):
    """label,text rows via the csv module (RFC 4180); the field limit is raised because one
    20news message is 160,615 characters."""
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        if next(reader, None) != ["label", "text"]:
            die(f"{path}: header is not 'label,text'")
        rows = [(r[0], r[1]) for r in reader if r]
    if not rows:
        die(f"{path}: no rows")
    return rows


def write_csv(path, rows):
    """The split parts go back to disk as CSV so that TextRNN reads exactly what the baseline
    trains and scores on."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["label", "text"])
        w.writerows(rows)


def prepare(dataset, args, work):
    """Returns (train_csv, eval_csv, train_rows, eval_rows) for the chosen split. In validation
    mode test.csv is not even opened, so no development decision can see it."""
    folder = Path(args.data) / dataset
    train = read_csv(folder / "train.csv")
    if args.split == "test":
        return folder / "train.csv", folder / "test.csv", train, read_csv(folder / "test.csv")
    from sklearn.model_selection import train_test_split
    fit, held = train_test_split(train, test_size=VALIDATION_FRACTION, random_state=args.seed,
                                 stratify=[label for label, _ in train])
    paths = work / f"{dataset}.train90.csv", work / f"{dataset}.validation10.csv"
    write_csv(paths[0], fit)
    write_csv(paths[1], held)
    return paths[0], paths[1], fit, held


def run_baseline(train_rows, eval_rows):
    """TF-IDF word 1-2 grams + L2 logistic regression, C picked by 5-fold CV on the training part
    only. Its bundle size is what prediction needs, pickled (vocabulary, idf, coefficients), not
    the fitted objects, which also keep every CV fold's coefficient path and the dropped terms."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, f1_score
    import inspect
    options = dict(Cs=CS, cv=5, max_iter=5000, n_jobs=2,
                   # Today's defaults, spelled out where sklearn >= 1.8 warns that they will change.
                   l1_ratios=(0.0,), scoring="accuracy", use_legacy_attributes=False)
    known = inspect.signature(LogisticRegressionCV).parameters
    options = {k: v for k, v in options.items() if k in known}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x = vectorizer.fit_transform([t for _, t in train_rows])
        model = LogisticRegressionCV(**options).fit(x, [l for l, _ in train_rows])
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    predicted = model.predict(vectorizer.transform([t for _, t in eval_rows]))
    eval_seconds = time.perf_counter() - start
    truth = [l for l, _ in eval_rows]
    c = model.C_ if options.get("use_legacy_attributes") is False else model.C_[0]
    return dict(status="ok", accuracy=accuracy_score(truth, predicted),
                macro_f1=f1_score(truth, predicted, average="macro"),
                train_seconds=train_seconds, eval_seconds=eval_seconds,
                bundle_bytes=len(pickle.dumps((vectorizer.vocabulary_, vectorizer.idf_, model.coef_,
                                                   model.intercept_, model.classes_))), chosen_C=float(c),
                features=x.shape[1], converged=not any(issubclass(w.category, ConvergenceWarning) for w in caught),
                command=("TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True) + "
                         f"LogisticRegressionCV({', '.join(f'{k}={v!r}' for k, v in options.items())})"))


def dir_bytes(path):
    """Bundle size = every file in the bundle directory, as it would ship."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def run_textrnn(name, extra, dataset, train_csv, eval_csv, eval_rows, args, work, logs):
    """Trains with `textrnn train` (timed, log captured), then scores with `textrnn evaluate
    --json`, whose accuracy and macro_f1 come from the runtime that ships."""
    bundle = work / f"{dataset}.{name}.textrnn".replace("/", "_")
    log = logs / f"{dataset}.{name}.train.log".replace("/", "_")
    command = [args.textrnn, "train", "--train", str(train_csv), "--output", str(bundle)] + extra
    row = dict(command=shlex.join(command), log=str(log.relative_to(ROOT)) if log.is_relative_to(ROOT) else str(log))
    start = time.perf_counter()
    with open(log, "w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    row["train_seconds"] = time.perf_counter() - start
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        print(f"\n!! {dataset} {name}: training failed (exit {done.returncode}); last lines of {log}:",
              *tail, sep="\n", file=sys.stderr)
        return dict(row, status=f"train failed ({done.returncode})")
    row["bundle_bytes"] = dir_bytes(bundle)
    start = time.perf_counter()
    scored = subprocess.run([args.textrnn, "evaluate", str(bundle), str(eval_csv), "--json"],
                            capture_output=True, text=True)
    row["eval_seconds"] = time.perf_counter() - start
    if scored.returncode != 0:
        print(f"\n!! {dataset} {name}: evaluate failed:\n{scored.stderr[-3000:]}", file=sys.stderr)
        return dict(row, status=f"evaluate failed ({scored.returncode})")
    metrics = json.loads(scored.stdout)
    if metrics.get("total", len(eval_rows)) != len(eval_rows):  # TextRNN's CSV reader vs Python's
        return dict(row, status=f"scored {metrics['total']} rows, not {len(eval_rows)}")
    return dict(row, status="ok", accuracy=metrics["accuracy"], macro_f1=metrics["macro_f1"])


def machine():
    """What the times depend on: core count and CPU model."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return dict(nproc=os.cpu_count(), cpu=cpu)


def git(*words):
    """Commit and dirtiness: the binary may be built from uncommitted sources."""
    done = subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def human_bytes(n):
    for unit in ["B", "KB", "MB", "GB"]:
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def table(report):
    """The Markdown table; the heading names the scored split so a table can't be mistaken for
    the other mode's."""
    what = (f"validation: stratified {1 - VALIDATION_FRACTION:.0%}/{VALIDATION_FRACTION:.0%} split of train.csv, "
            f"seed {report['seed']}; test.csv not read" if report["split"] == "validation"
            else "test: trained on train.csv, scored on test.csv")
    lines = [f"## Quality, split scored = {report['split'].upper()} ({what})", "",
             f"{report['started']}, commit {report['git_commit']}{' (dirty tree)' if report['git_dirty'] else ''}, "
             f"{report['machine']['nproc']} × {report['machine']['cpu']}", "",
             "| dataset | system | accuracy | macro F1 | train time | bundle size |", "|---|---|---|---|---|---|"]
    for r in report["results"]:
        ok = r["status"] == "ok"
        lines.append(f"| {r['dataset']} | {r['system']} | "
                     + (f"{r['accuracy']:.4f} | {r['macro_f1']:.4f}" if ok else f"**{r['status'].upper()}** | –")
                     + f" | {r.get('train_seconds', 0):.1f} s | "
                     + (human_bytes(r["bundle_bytes"]) if "bundle_bytes" in r else "–") + " |")
    return "\n".join(lines) + "\n"


def save(report, stem):
    """Rewritten after every row so an interrupted run still leaves its finished numbers."""
    stem.with_suffix(".md").write_text(table(report))
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")


def main():
    args = parse_args()
    needed = ["train.csv"] + (["test.csv"] if args.split == "test" else [])
    missing = [str(Path(args.data) / d / f) for d in args.datasets for f in needed if not (Path(args.data) / d / f).is_file()]
    if missing:
        die("missing dataset files (set TEXTRNN_DATA or --data):\n  " + "\n  ".join(missing))
    if not args.baseline_only and not os.access(args.textrnn, os.X_OK):
        die(f"{args.textrnn} not found or not executable (make build)")
    systems = ([] if args.baseline_only else ([] if args.skip_no_flags else [("textrnn", [])]) + args.configs) + ([] if args.skip_baseline else [("baseline", None)])

    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    started = datetime.now()
    stem = results / f"quality-{args.split}-{started:%Y%m%d-%H%M}"
    while stem.with_suffix(".json").exists() or stem.with_suffix(".logs").exists():  # a run still going has only its logs
        stem = stem.with_name(stem.name + "b")
    logs = stem.with_suffix(".logs")
    work = Path(tempfile.mkdtemp(prefix="textrnn-quality-", dir="/tmp"))
    report = dict(split=args.split, seed=args.seed, started=started.isoformat(timespec="seconds"),
                  command_line=shlex.join([sys.executable] + sys.argv), git_commit=git("rev-parse", "--short", "HEAD"),
                  git_dirty=bool(git("status", "--porcelain", "--untracked-files=no")), machine=machine(),
                  data=str(Path(args.data).resolve()), textrnn=None if args.baseline_only else args.textrnn,
                  textrnn_mtime=None if args.baseline_only else
                  datetime.fromtimestamp(os.path.getmtime(args.textrnn)).isoformat(timespec="seconds"),
                  results=[])
    if not args.baseline_only:
        logs.mkdir()
    try:
        for dataset in args.datasets:
            train_csv, eval_csv, train_rows, eval_rows = prepare(dataset, args, work)
            for system, extra in systems:
                print(f"== {dataset} / {system} ({len(train_rows)} train, {len(eval_rows)} {args.split})", file=sys.stderr, flush=True)
                row = (run_baseline(train_rows, eval_rows) if extra is None
                       else run_textrnn(system, extra, dataset, train_csv, eval_csv, eval_rows, args, work, logs))
                row = dict(dataset=dataset, system=system, split=args.split,
                           n_train=len(train_rows), n_eval=len(eval_rows), **row)
                report["results"].append(row)
                print(f"   {row['status']}" + (f": accuracy {row['accuracy']:.4f}, macro F1 {row['macro_f1']:.4f}, "
                                             f"train {row['train_seconds']:.1f} s" if row["status"] == "ok" else ""),
                      file=sys.stderr, flush=True)
                save(report, stem)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(report))
    print(f"written: {stem.with_suffix('.md')}, {stem.with_suffix('.json')}", file=sys.stderr)
    failed = [f"{r['dataset']}/{r['system']}" for r in report["results"] if r["status"] != "ok"]
    if failed:
        sys.exit(f"quality.py: failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

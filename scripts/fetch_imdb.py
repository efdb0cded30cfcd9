#!/usr/bin/env python3
"""Download the Large Movie Review Dataset (aclImdb v1, Maas et al. 2011) into a cache and write
train.csv / test.csv with the header `label,text`, as ../shared/data/imdb has them.

Used by scripts/demo.sh only when neither $TEXTRNN_DATA nor ../shared/data holds IMDB.
Usage: fetch_imdb.py CACHE_DIR   (prints the directory holding imdb/{train,test}.csv)
"""
import csv
import os
import sys
import tarfile
import urllib.request

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"


def main() -> int:
    cache = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/textrnn")
    target = os.path.join(cache, "imdb")
    if all(os.path.exists(os.path.join(target, f"{split}.csv")) for split in ("train", "test")):
        print(cache)
        return 0
    os.makedirs(target, exist_ok=True)
    archive = os.path.join(cache, "aclImdb_v1.tar.gz")
    if not os.path.exists(archive):
        print(f"downloading {URL} ...", file=sys.stderr)
        urllib.request.urlretrieve(URL, archive + ".part")
        os.replace(archive + ".part", archive)
    rows = {"train": [], "test": []}
    with tarfile.open(archive) as tar:
        for member in tar:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 4 and parts[1] in rows and parts[2] in ("neg", "pos"):
                text = tar.extractfile(member).read().decode("utf-8").replace("\n", " ")
                rows[parts[1]].append(("negative" if parts[2] == "neg" else "positive", parts[3], text))
    for split, items in rows.items():
        items.sort()
        with open(os.path.join(target, f"{split}.csv.part"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["label", "text"])
            writer.writerows((label, text) for label, _, text in items)
        os.replace(os.path.join(target, f"{split}.csv.part"), os.path.join(target, f"{split}.csv"))
    print(cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())

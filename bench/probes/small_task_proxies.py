#!/usr/bin/env python3
"""Probe data (issue 13): small and short tasks like the kept datasets (short sentences, short
messages, two to six classes, a thousand texts), made from the shared *train* splits only
(test.csv is never read), written to $PROXY_DIR (default /tmp/proxy)/<name>/train.csv for
`bench/quality.py --split validation --data /tmp/proxy --datasets <name> --seed S`.

  news_subjects_20          each 20 Newsgroups message's Subject line, 20 groups
  news_pc_vs_mac_30w        the first 30 words of the body, comp.sys.ibm.pc.hardware vs
                            comp.sys.mac.hardware (1,164 texts, 2 classes)
  ag_small_1500             1,500 ag_news_mini texts (4 classes)
  imdb_first_sentence_5000  the first sentence of 5,000 reviews
  imdb_small_2000           2,000 whole reviews
  ag_first_12_words         each ag_news_mini text's first 12 words (4 classes, 6,000)
  news_subjects_6           the Subject lines under the 6 top-level groups (comp, rec, sci,
                            talk, misc, alt+soc: the first part of the group name)
  news_questions_6          each message's first question of 4-40 words written in its body
                            (quoted lines left out), under the same 6 groups
  ag_tiny_300               300 ag_news_mini texts (4 classes), none of ag_small_1500's
  imdb_first_sentence_skewed  first sentences of other reviews, 4 positive to 1 negative (5,000)"""
import csv, re, random, os
csv.field_size_limit(1 << 30)
HERE = os.path.dirname(os.path.abspath(__file__))
D = os.environ.get("TEXTRNN_DATA", os.path.join(HERE, "../../../shared/data")); OUT = os.environ.get("PROXY_DIR", "/tmp/proxy")
def read(name): return list(csv.DictReader(open(f"{D}/{name}/train.csv", newline="", encoding="utf-8")))
def write(name, rows):
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    with open(f"{OUT}/{name}/train.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f); w.writerow(["label", "text"]); w.writerows(r for r in rows if r[1] and r[1].strip())
    print(name, sum(1 for r in rows if r[1] and r[1].strip()))
rng = random.Random(7)
news = read("20news")
def subject(t):
    m = re.search(r"Subject:\s*(.*?)\s+(?:From|Summary|Keywords|Organization|Lines|Reply-To|Nntp-Posting-Host|Distribution|Article-I\.D\.|Expires|X-[\w-]+|In-Reply-To):", t)
    return m.group(1).strip() if m else None
def body_start(t, words):
    m = re.search(r"Lines:\s*\d+\s*(.*)", t, re.S)
    return " ".join((m.group(1) if m else t).split()[:words])
rows = [(r["label"], subject(r["text"])) for r in news]
write("news_subjects_20", [r for r in rows if r[1]])
pair = {"comp.sys.ibm.pc.hardware", "comp.sys.mac.hardware"}
write("news_pc_vs_mac_30w", [(r["label"], body_start(r["text"], 30)) for r in news if r["label"] in pair])
ag = read("ag_news_mini"); rng.shuffle(ag)
write("ag_small_1500", [(r["label"], r["text"]) for r in ag[:1500]])
imdb = read("imdb"); rng.shuffle(imdb)
def first_sentence(t):
    t = re.sub(r"<br\s*/?>", " ", t)
    return re.split(r"(?<=[.!?])\s+", t.strip())[0]
write("imdb_first_sentence_5000", [(r["label"], first_sentence(r["text"])) for r in imdb[:5000]])
write("imdb_small_2000", [(r["label"], r["text"]) for r in imdb[:2000]])
write("ag_first_12_words", [(r["label"], " ".join(r["text"].split()[:12])) for r in read("ag_news_mini")])
write("news_subjects_6", [(label.split(".")[0].replace("soc", "alt"), text) for label, text in rows if text])
def first_question(t):
    m = re.search(r"Lines:\s*\d+\s*(.*)", t, re.S)
    body = " ".join(line for line in (m.group(1) if m else "").splitlines()
                    if not line.lstrip().startswith((">", "|", ":")) and "writes:" not in line and "wrote:" not in line)
    for sentence in re.split(r"(?<=[.!?])\s+", body):
        if sentence.endswith("?") and 4 <= len(sentence.split()) <= 40: return sentence
    return None
write("news_questions_6", [(r["label"].split(".")[0].replace("soc", "alt"), first_question(r["text"])) for r in news])
write("ag_tiny_300", [(r["label"], r["text"]) for r in ag[1500:1800]])
positive = [r for r in imdb[5000:] if r["label"] == "positive"][:4000]; negative = [r for r in imdb[5000:] if r["label"] == "negative"][:1000]
write("imdb_first_sentence_skewed", [(r["label"], first_sentence(r["text"])) for r in positive + negative])

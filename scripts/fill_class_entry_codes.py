"""Fill blank UNII codes of knowledge/data/class_entries.tsv from the DrugBank open vocabulary.

Run: .venv/bin/python scripts/fill_class_entry_codes.py [PATH_TO_drugbank_vocabulary.csv.gz]

A code is filled only when the entry's name (or one of its synonyms) is a DrugBank common name,
compared without case; an existing code is never changed. Combinations get no code.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TSV = ROOT / "src" / "medguide" / "knowledge" / "data" / "class_entries.tsv"
DEFAULT_VOCAB = ROOT.parent / "shared" / "data" / "drugbank-open-vocabulary"
DEFAULT_VOCAB = DEFAULT_VOCAB / "drugbank_vocabulary.csv.gz"


def main() -> None:
    vocab = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_VOCAB
    unii: dict[str, str] = {}
    with gzip.open(vocab, "rt", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["UNII"]:
                unii.setdefault(rec["Common name"].strip().lower(), rec["UNII"].strip())
    lines = TSV.read_text(encoding="utf-8").splitlines()
    header: list[str] | None = None
    filled = 0
    out = []
    for line in lines:
        if line.startswith("#") or not line.strip():
            out.append(line)
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            out.append(line)
            continue
        rec = dict(zip(header, cols, strict=True))
        if not rec["unii"] and rec["kind"] != "combination":
            names = [rec["name"], *rec["synonyms"].split("|")]
            code = next((unii[n.lower()] for n in names if n and n.lower() in unii), "")
            if code:
                rec["unii"] = code
                filled += 1
        out.append("\t".join(rec[c] for c in header))
    TSV.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"filled {filled} UNII codes")


if __name__ == "__main__":
    main()

"""Build src/medguide/knowledge/data/vocabulary/names.tsv from the public name lists.

Inputs (read-only, in ../shared/data relative to the repository root, or --data DIR):
  drugbank-open-vocabulary/drugbank_vocabulary.csv.gz   DrugBank Vocabulary, CC0 1.0
  fda-unii-names-subset/unii_names_target_drugs.tsv      FDA UNII names, public domain

Output: one line per name key, `key<TAB>ingredient<TAB>source code`, sorted, with `#source`
header lines that name each list and its licence. The key is the name as medguide compares it
(lower case, no accents, no spaces or punctuation; see medguide.knowledge.names.name_key).

Filters (also written to the file header and to README.md in the same folder):
- DrugBank: the common name always; a synonym only when it is 4 to 40 characters, has at
  most 4 words, contains no digit, bracket, comma, semicolon or colon (systematic chemical
  names and codes are dropped).
- UNII: brand ("bn"), common ("cn") and official ("of") names only; bracketed tags such as
  "[USP-RS]" removed; rows naming impurities, related compounds, components or stereo forms
  dropped. The ingredient is the display name without salt words, and the row is kept only
  when that ingredient is a DrugBank common name.
- A key shorter than 4 characters, or one that two different ingredients claim, is dropped.

Run: .venv/bin/python scripts/build_vocabulary.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from medguide.knowledge.names import name_key  # noqa: E402

OUT_DIR = ROOT / "src" / "medguide" / "knowledge" / "data" / "vocabulary"
SOURCES = {
    "D": "DrugBank open vocabulary (CC0 1.0)",
    "U": "FDA UNII names (public domain)",
}
BAD_SYNONYM = re.compile(r"[0-9()\[\]{},;:]")
BAD_UNII = re.compile(r"IMPURITY|RELATED COMPOUND|COMPONENT|FORMED FROM|METABOLITE|, \(")
TAG = re.compile(r"\s*\[[^\]]*\]")
MIN_KEY = 4


def _salts() -> frozenset[str]:
    words = json.loads((OUT_DIR / "words.json").read_text(encoding="utf-8"))
    return frozenset(words["salts"])


def _base(display: str, salts: frozenset[str]) -> str:
    words = [w for w in display.lower().split() if w not in salts]
    return " ".join(words)


def build(data: Path) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    claims: dict[str, dict[str, str]] = {}  # key → {ingredient: source code}
    stats = {"drugbank_drugs": 0, "unii_rows_kept": 0, "unii_rows_dropped": 0}

    def claim(name: str, ingredient: str, code: str) -> None:
        key = name_key(name)
        if len(key) >= MIN_KEY:
            claims.setdefault(key, {}).setdefault(ingredient, code)

    common: dict[str, str] = {}
    raw = gzip.decompress(
        (data / "drugbank-open-vocabulary" / "drugbank_vocabulary.csv.gz").read_bytes()
    ).decode("utf-8")
    for row in csv.DictReader(io.StringIO(raw)):
        stats["drugbank_drugs"] += 1
        ingredient = row["Common name"].strip().lower()
        if not ingredient:
            continue
        common[name_key(ingredient)] = ingredient
        claim(ingredient, ingredient, "D")
        for synonym in (row["Synonyms"] or "").split(" | "):
            synonym = synonym.strip()
            if (
                4 <= len(synonym) <= 40
                and len(synonym.split()) <= 4
                and not BAD_SYNONYM.search(synonym)
            ):
                claim(synonym, ingredient, "D")

    salts = _salts()
    unii = data / "fda-unii-names-subset" / "unii_names_target_drugs.tsv"
    with unii.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            name, kind, display = row["Name"], row["TYPE"], row["Display Name"]
            base = common.get(name_key(_base(display, salts)))
            if (
                kind not in ("bn", "cn", "of")
                or BAD_UNII.search(name)
                or BAD_UNII.search(display)
                or base is None
            ):
                stats["unii_rows_dropped"] += 1
                continue
            stats["unii_rows_kept"] += 1
            claim(TAG.sub("", name), base, "U")

    rows = []
    dropped = 0
    for key, owners in claims.items():
        if len(owners) > 1:
            dropped += 1
            continue
        ((ingredient, code),) = owners.items()
        rows.append((key, ingredient, code))
    rows.sort()
    stats["keys"] = len(rows)
    stats["keys_dropped_ambiguous"] = dropped
    return rows, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    rows, stats = build(args.data)
    out = OUT_DIR / "names.tsv"
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("# medguide name vocabulary: key, ingredient, source code. Generated by\n")
        fh.write("# scripts/build_vocabulary.py; do not edit. See README.md in this folder.\n")
        for code, label in SOURCES.items():
            fh.write(f"#source\t{code}\t{label}\n")
        fh.write("# " + ", ".join(f"{k}={v}" for k, v in stats.items()) + "\n")
        for row in rows:
            fh.write("\t".join(row) + "\n")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): {stats}")


if __name__ == "__main__":
    main()

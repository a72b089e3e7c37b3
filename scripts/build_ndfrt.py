"""Build the compact VA NDF-RT 2014 interaction table shipped under knowledge/data/ndfrt/.

Reads the extracted NDF-RT rows (../shared/data/ndfrt-va-ddi-2014/) and the CC0 DrugBank
vocabulary (for today's common names of the DrugBank ids), and writes one tab-separated row
per interacting pair:

    nui  severity  a_drugbank  a_name  a_aliases  b_drugbank  b_name  b_aliases

`*_name` is the DrugBank common name in lower case (the key the engine uses when no
monograph claims the DrugBank id); `*_aliases` are other names of the same ingredient found
in the row (the Pitt team's DrugBank label, the original NDF-RT concept name without salt
words), separated by `|`. Pairs listed under two NDF-RT concepts are merged: the more severe
rating is kept and both concept ids are listed (comma-separated).

Usage: python scripts/build_ndfrt.py [--shared ../shared/data] [--out src/.../ndfrt]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "src" / "medguide" / "knowledge" / "data" / "ndfrt"
OUT_NAME = "va_ndfrt_2014.tsv"

SEVERITY_RANK = {"Significant": 1, "Critical": 2}

# Salt and form words NDF-RT concept names carry ("ESCITALOPRAM OXALATE"); the ingredient is
# the rest.
_SALT_WORDS = {
    "hydrochloride",
    "hcl",
    "hydrobromide",
    "sodium",
    "potassium",
    "calcium",
    "magnesium",
    "oxalate",
    "fumarate",
    "maleate",
    "mesylate",
    "succinate",
    "tartrate",
    "bitartrate",
    "citrate",
    "sulfate",
    "acetate",
    "diacetate",
    "besylate",
    "bromide",
    "phosphate",
    "dihydrochloride",
    "monohydrate",
    "tromethamine",
    "dipropionate",
    "valerate",
    "hyclate",
    "lactate",
    "gluconate",
    "napsylate",
    "pamoate",
    "xinafoate",
    "medoxomil",
}


def norm(name: str) -> str:
    """Lower case, underscores to spaces, single spaces."""
    return " ".join(name.replace("_", " ").lower().split())


def label_name(part: str) -> str:
    """An NDF-RT concept part without parentheses and salt words."""
    part = re.sub(r"\(.*?\)", " ", part)
    words = [w for w in norm(part).split() if w not in _SALT_WORDS]
    return " ".join(words)


def read_vocabulary(shared: Path) -> dict[str, str]:
    path = shared / "drugbank-open-vocabulary" / "drugbank_vocabulary.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return {row["DrugBank ID"]: norm(row["Common name"]) for row in csv.DictReader(fh)}


def _chemical(name: str) -> bool:
    return len(name) > 40 or any(c in name for c in "([{")


def _pick_name(common: str, raw: str, from_label: str) -> str:
    """The DrugBank common name, unless it is a chemical name (a few entries are)."""
    for name in (common, raw, from_label):
        if name and not _chemical(name):
            return name
    return common


def _assign_label(parts: list[str], names: tuple[set[str], set[str]]) -> tuple[str, str] | None:
    """Which label part names side a and which side b; None when it cannot be told."""
    if len(parts) != 2:
        return None
    p, q = parts

    def hits(part: str, side: set[str]) -> bool:
        first = part.split()[0] if part else ""
        return any(
            part == n or (first and n.split()[0] == first) or n[:5] == part[:5] for n in side
        )

    if hits(p, names[0]) or hits(q, names[1]):
        return p, q
    if hits(q, names[0]) or hits(p, names[1]):
        return q, p
    return None


def build(shared: Path) -> list[list[str]]:
    vocab = read_vocabulary(shared)
    src = shared / "ndfrt-va-ddi-2014" / "ndfrt_va_drug_interactions.csv"
    merged: dict[frozenset[str], dict[str, object]] = {}
    with src.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            ids = (row["object_drugbank_id"], row["precipitant_drugbank_id"])
            raw = (norm(row["object_drug"]), norm(row["precipitant_drug"]))
            common = tuple(vocab.get(i, r) for i, r in zip(ids, raw, strict=True))
            label = row["ndfrt_label"].replace("[VA Drug Interaction]", "").strip()
            parts = [label_name(p) for p in label.split("/")]
            assigned = _assign_label(parts, ({common[0], raw[0]}, {common[1], raw[1]})) or ("", "")
            names = tuple(_pick_name(common[i], raw[i], assigned[i]) for i in (0, 1))
            aliases: tuple[set[str], set[str]] = (
                {raw[0], common[0], assigned[0]},
                {raw[1], common[1], assigned[1]},
            )
            key = frozenset(ids)
            entry = merged.get(key)
            if entry is None:
                merged[key] = {
                    "ids": ids,
                    "names": names,
                    "aliases": aliases,
                    "severity": row["severity"],
                    "nuis": [row["ndfrt_nui"]],
                }
                continue
            if SEVERITY_RANK[row["severity"]] > SEVERITY_RANK[str(entry["severity"])]:
                entry["severity"] = row["severity"]
            nuis = entry["nuis"]
            assert isinstance(nuis, list)
            nuis.append(row["ndfrt_nui"])

    rows = []
    for entry in merged.values():
        ids = entry["ids"]
        names = entry["names"]
        aliases = entry["aliases"]
        assert isinstance(ids, tuple) and isinstance(names, tuple) and isinstance(aliases, tuple)
        sides = []
        for i in (0, 1):
            other = sorted(a for a in aliases[i] if a and a != names[i] and not _chemical(a))
            sides.append([ids[i], names[i], "|".join(other)])
        sides.sort(key=lambda s: s[1])
        nuis = entry["nuis"]
        assert isinstance(nuis, list)
        rows.append([",".join(sorted(set(nuis))), str(entry["severity"]), *sides[0], *sides[1]])
    rows.sort(key=lambda r: (r[3], r[6]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    rows = build(args.shared)
    args.out.mkdir(parents=True, exist_ok=True)
    header = [
        "nui",
        "severity",
        "a_drugbank",
        "a_name",
        "a_aliases",
        "b_drugbank",
        "b_name",
        "b_aliases",
    ]
    with (args.out / OUT_NAME).open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("# VA NDF-RT drug interactions, release 2014-07-07, frozen. See SOURCE.md.\n")
        fh.write("\t".join(header) + "\n")
        for r in rows:
            fh.write("\t".join(r) + "\n")
    print(f"wrote {len(rows)} pairs to {args.out / OUT_NAME}")


if __name__ == "__main__":
    main()

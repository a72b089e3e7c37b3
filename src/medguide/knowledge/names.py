"""Name resolution: free text → ingredient (brand, synonym, salt, spelling, misspelling).

Order of attempts, first hit wins:

1. the catalog, as written (drug id or name, brand → product, synonym, salt form), compared
   on a key without case, accents, spaces or hyphens ("Baclo-fen", "baclofène"); monographs
   first, then class entries (medicines known by class, no monograph), which never take a
   name a monograph answers to;
2. the catalog again after removing salt words ("hydrochloride") and filler, form and route
   words ("a glass of", "intrathecal"), listed in `data/vocabulary/words.json`;
3. the public name lists (FDA UNII names, DrugBank open vocabulary) shipped in
   `data/vocabulary/names.tsv`: a drug that is known but has no knowledge file ("known drug,
   not covered yet"). This comes before fuzzy matching so that a real drug name is never
   bent into a look-alike catalog drug (arbaclofen is not baclofen);
4. fuzzy matching against the monograph names (rapidfuzz, `FUZZY_THRESHOLD`), for typos.

Anything else resolves with method "none"; the caller reports `unknown_drug`.

`resolve_ingredients` goes further for order and export text ("Oxycodone-Acetaminophen",
"Potassium Chl 20 mEq / 1000 mL D5 1/2 NS", "lisinopril 10 MG Oral Tablet"): it reads
product words, strengths and brackets off the name and splits combinations, returning one
resolved name per ingredient (a combination class entry such as Percocet gives its
ingredients).

Indexes are built once: per catalog version for the catalog, once per process for the
public lists (loaded only when a catalog lookup fails).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final

from medguide.knowledge.catalog import (
    DATA_DIR,
    Catalog,
    VocabularyHit,
    WordLists,
    load_public_names,
    load_word_lists,
)
from medguide.knowledge.interaction_index import PairMemo
from medguide.knowledge.resolved import Resolved, ResolveMethod

VOCABULARY_DIR: Final = DATA_DIR / "vocabulary"

# rapidfuzz `fuzz.ratio` score (0-100) a misspelling needs to resolve to a catalog name.
# 85 accepts one wrong, missing or extra letter in a name of eight letters ("baclofin",
# "tizanadine") and refuses unrelated words that share letters ("bacon" scores 77 against
# "baclofen"). tests/test_names.py pins this value and its boundary cases.
FUZZY_THRESHOLD: Final = 85.0
# Keys shorter than this are never matched fuzzily: short words are too easily a near miss.
FUZZY_MIN_LENGTH: Final = 5
# When two different drugs score within this margin of each other, the match is refused as
# ambiguous rather than guessed (look-alike names are a known source of medication errors).
FUZZY_AMBIGUITY_MARGIN: Final = 3.0

CLASS_ENTRY_PROVENANCE: Final = "medguide class entry (known by class, no monograph)"

_METHOD_RANK: Final[dict[str, int]] = {"exact": 0, "brand": 1, "synonym": 2, "salt": 3}


@dataclass(frozen=True)
class _Entry:
    drug_id: str
    product_id: str | None
    matched: str
    method: ResolveMethod
    class_entry: bool = False  # drug_id is then a class entry id, not a monograph


@dataclass(frozen=True)
class _CatalogIndex:
    exact: Mapping[str, _Entry]
    ambiguous: Mapping[str, tuple[str, ...]]
    keys: tuple[str, ...]  # monograph keys only: fuzzy matching never lands on a class entry


_NON_ALNUM: Final = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    """Lower case without accents; every run of other characters becomes one space."""
    if not text.isascii():
        text = "".join(
            ("" if unicodedata.combining(ch) else ch if ch.isascii() else " ")
            for ch in unicodedata.normalize("NFKD", text)
        )
    return _NON_ALNUM.sub(" ", text.lower()).strip()


@lru_cache(maxsize=8192)
def name_key(text: str) -> str:
    """The comparison key of a name: lower case, no accents, spaces or punctuation.

    >>> name_key("Baclo-fen"), name_key("Baclofène"), name_key("Ozobax DS")
    ('baclofen', 'baclofene', 'ozobaxds')
    """
    return _fold(text).replace(" ", "")


def _stripped_key(words: WordLists, text: str) -> tuple[str, bool]:
    """Key after removing salt, filler and form words, and whether a salt word went."""
    kept = []
    salt = False
    for word in _fold(text).split():
        if word in words.strip or word.isdigit():
            salt = salt or word in words.salts
        else:
            kept.append(word)
    return "".join(kept), salt


def _catalog_index(catalog: Catalog) -> _CatalogIndex:
    return catalog.derived("names", lambda: _build_index(catalog))


def _public_names(catalog: Catalog) -> Mapping[str, VocabularyHit]:
    return catalog.derived("public_names", lambda: load_public_names(catalog.data_dir))


def _word_lists(catalog: Catalog) -> WordLists:
    return catalog.derived("word_lists", lambda: load_word_lists(catalog.data_dir))


def _build_index(catalog: Catalog) -> _CatalogIndex:
    candidates: dict[str, list[_Entry]] = {}

    def add(name: str, entry: _Entry) -> None:
        key = name_key(name)
        if key:
            candidates.setdefault(key, []).append(entry)

    for drug in catalog.drugs.values():
        add(drug.id, _Entry(drug.id, None, drug.name, "exact"))
        add(drug.name, _Entry(drug.id, None, drug.name, "exact"))
        for brand in drug.brands:
            add(brand.name, _Entry(drug.id, brand.product, brand.name, "brand"))
        for synonym in drug.synonyms:
            add(synonym, _Entry(drug.id, None, synonym, "synonym"))
        for salt in drug.salts:
            add(salt, _Entry(drug.id, None, salt, "salt"))

    # Class entries after every monograph name: a name a monograph answers to stays its own.
    monograph_keys = set(candidates)
    entry_candidates: dict[str, list[_Entry]] = {}
    for ce in catalog.class_entries.values():
        for name, method in (
            (ce.id, "exact"),
            (ce.name, "exact"),
            *((b, "brand") for b in ce.brands),
            *((syn, "synonym") for syn in ce.synonyms),
        ):
            key = name_key(name)
            if key and key not in monograph_keys:
                entry = _Entry(ce.id, None, name, method, class_entry=True)  # type: ignore[arg-type]
                entry_candidates.setdefault(key, []).append(entry)

    exact: dict[str, _Entry] = {}
    ambiguous: dict[str, tuple[str, ...]] = {}
    for key, entries in entry_candidates.items():
        ids = sorted({e.drug_id for e in entries})
        if len(ids) > 1:
            ambiguous[key] = tuple(ids)
        else:
            exact[key] = min(entries, key=lambda e: _METHOD_RANK[e.method])
    for key, entries in candidates.items():
        drugs = sorted({e.drug_id for e in entries})
        if len(drugs) > 1:
            ambiguous[key] = tuple(drugs)
            continue
        best = min(entries, key=lambda e: _METHOD_RANK[e.method])
        products = {e.product_id for e in entries if e.method == "brand"}
        if best.method == "brand" and len(products) > 1:
            best = _Entry(best.drug_id, None, best.matched, "brand")
        exact[key] = best
    return _CatalogIndex(
        exact=exact,
        ambiguous=ambiguous,
        keys=tuple(k for k, e in exact.items() if not e.class_entry),
    )


def vocabulary_lookup(catalog: Catalog, text: str) -> VocabularyHit | None:
    """Look a name up in the public name lists only (exact key, then without salt words)."""
    vocab = _public_names(catalog)
    hit = vocab.get(name_key(text))
    if hit is None:
        key, _ = _stripped_key(_word_lists(catalog), text)
        hit = vocab.get(key) if key else None
    return hit


def _hit(
    text: str,
    entry: _Entry,
    score: float,
    method: ResolveMethod | None = None,
    provenance: str | None = None,
) -> Resolved:
    if entry.class_entry:
        return Resolved(
            query=text,
            ingredient=entry.drug_id,
            drug_id=None,
            product_id=None,
            matched=entry.matched,
            method=method or entry.method,
            score=score,
            provenance=provenance or CLASS_ENTRY_PROVENANCE,
            class_entry=entry.drug_id,
        )
    return Resolved(
        query=text,
        ingredient=entry.drug_id,
        drug_id=entry.drug_id,
        product_id=entry.product_id,
        matched=entry.matched,
        method=method or entry.method,
        score=score,
        provenance=provenance,
    )


def resolve_exact(catalog: Catalog, text: str) -> Resolved | None:
    """Catalog lookup as written (no stripping, no public lists, no fuzzy); None on a miss."""
    entry = _catalog_index(catalog).exact.get(name_key(text))
    return _hit(text, entry, 1.0) if entry is not None else None


RESOLVE_MEMO_LIMIT = 10_000  # names resolved per catalog; the oldest go first


def resolve_name(catalog: Catalog, text: str) -> Resolved:
    """Resolve free text to an ingredient; method "none" when it does not resolve.

    Brands that name a product set `product_id` ("Ozobax DS" → ozobax_ds). A pure function
    of the catalog and the text, memoized (bounded, on the catalog).
    """
    memo = catalog.derived("names.resolve_memo", lambda: PairMemo(limit=RESOLVE_MEMO_LIMIT))
    key = (type(text), text)
    found = memo.get(key)
    if not isinstance(found, Resolved):
        found = _resolve_name(catalog, text)
        memo.put(key, found)
    return found


def _resolve_name(catalog: Catalog, text: str) -> Resolved:
    index = _catalog_index(catalog)
    key = name_key(text)
    if not key:
        return _unresolved(text)
    entry = index.exact.get(key)
    if entry is not None:
        return _hit(text, entry, 1.0)

    stripped, salt = _stripped_key(_word_lists(catalog), text)
    if stripped and stripped != key:
        entry = index.exact.get(stripped)
        if entry is not None:
            if salt and entry.method == "exact":
                return _hit(text, entry, 1.0, "salt")
            return _hit(text, entry, 1.0)

    ambiguous = index.ambiguous.get(key) or index.ambiguous.get(stripped)
    if ambiguous:
        return _unresolved(text, provenance="ambiguous: " + ", ".join(ambiguous))

    vocab = _public_names(catalog)
    hit = vocab.get(key) or (vocab.get(stripped) if stripped else None)
    if hit is not None:
        covered = index.exact.get(name_key(hit.ingredient))
        if covered is not None and covered.class_entry:
            return _hit(text, covered, 1.0, "vocabulary")
        return Resolved(
            query=text,
            ingredient=covered.drug_id if covered else hit.ingredient,
            drug_id=covered.drug_id if covered else None,
            product_id=None,
            matched=hit.ingredient,
            method="vocabulary",
            score=1.0,
            provenance=hit.source,
        )

    return _fuzzy(text, stripped or key, index)


def _unresolved(text: str, score: float = 0.0, provenance: str | None = None) -> Resolved:
    """A name that did not resolve (the caller reports it as `unknown_drug`)."""
    return Resolved(text, None, None, None, None, "none", score, provenance=provenance)


def _fuzzy(text: str, key: str, index: _CatalogIndex) -> Resolved:
    if len(key) < FUZZY_MIN_LENGTH or not index.keys:
        return _unresolved(text)
    from rapidfuzz import fuzz, process

    found = process.extract(
        key, index.keys, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=5
    )
    if not found:
        return _unresolved(text)
    best_key, best_score, _ = found[0]
    entry = index.exact[best_key]
    rivals = sorted(
        {index.exact[k].drug_id for k, s, _ in found if best_score - s <= FUZZY_AMBIGUITY_MARGIN}
    )
    if len(rivals) > 1:
        return _unresolved(text, best_score / 100, "ambiguous: " + ", ".join(rivals))
    return _hit(text, entry, best_score / 100, "fuzzy")


# --- order and export text: strengths, forms, brackets and combinations ------------------

_BRACKET: Final = re.compile(r"\[([^\]]*)\]")
_PAREN: Final = re.compile(r"\(([^)]*)\)")
# a number with its unit ("10 MG", "0.9%", "20 mEq", "5 MG/ML", "0.12/0.015 MG", "1:100000")
_UNIT: Final = r"(?:%|mg|mcg|µg|g|gm|ml|l|unt|units?|meq|mmol|hr|h|actuat|day)"
_STRENGTH: Final = re.compile(
    rf"(?<![a-z0-9.])\d+(?:[.,]\d+)?(?::\d+)?\s*{_UNIT}?"
    rf"(?:\s*/\s*(?:\d+(?:[.,]\d+)?\s*)?{_UNIT})?(?![a-z0-9])",
    re.IGNORECASE,
)
_APPLICATION: Final = re.compile(r"\b(?:nda|anda|bla)\d+\b", re.IGNORECASE)
_HALF: Final = re.compile(r"(?<![0-9.])1/2(?![0-9])")
_COMBINATION_SPLITS: Final = (
    re.compile(r"\s+/\s+"),
    re.compile(r"\s*(?:/|-|\+|\bw/|\bwith\b|\band\b|\bin\b|\bor\b)\s*", re.IGNORECASE),
)


def _clean_product(words: frozenset[str], text: str) -> str:
    """The name left when strengths, product words and bracketed parts are read off."""
    text = _BRACKET.sub(" ", text)
    text = _PAREN.sub(" ", text)
    text = _HALF.sub(" half ", text)  # "D5 1/2 NS" is a fluid, not a strength
    text = _APPLICATION.sub(" ", text)
    text = _STRENGTH.sub(" ", text).replace(",", " ")
    kept = []
    for token in text.split():
        # "Extended-Release" and "Pentamidine-Inhalation": product words inside a token go too
        parts = [p for p in token.split("-") if p and _fold(p.replace(".", "")) not in words]
        if parts:
            kept.append("-".join(parts))
    return " ".join(kept).strip(" ,.*")


_EYE_WORDS: Final = frozenset({"ophth", "ophthalmic", "opht", "eye", "otic"})
_SKIN_WORDS: Final = frozenset({"cream", "ointment", "oint", "lotion", "topical", "gel"})


def _alternatives(catalog: Catalog, text: str) -> list[str]:
    """Ways to read one name, most literal first, except that an eye drop or a cream is read
    as the local product first ("Ciprofloxacin 0.3% Ophth Soln" is not the tablet)."""
    out = [text]
    cleaned = _clean_product(_word_lists(catalog).product, text)
    words = set(_fold(text.replace(".", " ")).split())
    if cleaned and words & _EYE_WORDS:
        out.insert(0, f"{cleaned} ophthalmic")
    elif cleaned and words & _SKIN_WORDS:
        out.insert(0, f"{cleaned} topical")
    if cleaned:
        out.append(cleaned)
    # a bracket or parenthesis often holds the brand ("[Tylenol]", "(Dilaudid)")
    out += [m.group(1) for m in (*_BRACKET.finditer(text), *_PAREN.finditer(text))]
    return list(dict.fromkeys(a.strip() for a in out if a.strip()))


def _expand(catalog: Catalog, r: Resolved) -> tuple[Resolved, ...]:
    """A combination class entry as its ingredients; anything else as itself."""
    entry = catalog.class_entries.get(r.class_entry) if r.class_entry else None
    if entry is None or not entry.ingredients:
        return (r,)
    out = []
    for ing in entry.ingredients:
        part = resolve_exact(catalog, ing)
        if part is None:  # the loader checked every ingredient: this cannot miss
            raise LookupError(f"combination {entry.id}: ingredient {ing!r} does not resolve")
        out.append(
            Resolved(
                query=r.query,
                ingredient=part.ingredient,
                drug_id=part.drug_id,
                product_id=None,
                matched=entry.name,
                method=r.method,
                score=r.score,
                provenance=f"ingredient of {entry.name}",
                class_entry=part.class_entry,
            )
        )
    return tuple(out)


def _resolve_single(catalog: Catalog, text: str) -> Resolved:
    first: Resolved | None = None
    for alt in _alternatives(catalog, text):
        r = resolve_name(catalog, alt)
        if first is None:
            first = r
        if r.known:
            return replace(r, query=text) if alt != text else r
    return first if first is not None else _unresolved(text)


def resolve_ingredients(catalog: Catalog, text: str) -> tuple[Resolved, ...]:
    """Every ingredient a name stands for (one for most names; a combination gives each of
    its ingredients). An unresolved name gives one unresolved result."""
    single = _resolve_single(catalog, text)
    if single.known:
        return _dedupe(_expand(catalog, single))
    for splitter in _COMBINATION_SPLITS:
        parts = [p for p in splitter.split(_PAREN.sub(" ", _BRACKET.sub(" ", text))) if p.strip()]
        if len(parts) < 2:
            continue
        resolved = [_resolve_single(catalog, p) for p in parts]
        if any(r.known for r in resolved):
            out: list[Resolved] = []
            for r in resolved:
                out.extend(_expand(catalog, r) if r.known else (r,))
            # every part answers to the name as written
            return _dedupe(tuple(replace(r, query=text) for r in out))
    return (single,)


def _dedupe(results: tuple[Resolved, ...]) -> tuple[Resolved, ...]:
    """One result per ingredient ("Humulin-R Insulin" is insulin once)."""
    seen: set[str] = set()
    out = []
    for r in results:
        key = r.ingredient or r.query
        if key not in seen:
            seen.add(key)
            out.append(r)
    return tuple(out)

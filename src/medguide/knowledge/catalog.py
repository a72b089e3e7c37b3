"""The loaded, validated, indexed and immutable knowledge catalog.

`load_catalog()` reads every knowledge file once, lints it for YAML traps, validates it
against the strict schema, checks that every source id resolves, and returns a `Catalog`
whose `version` is a hash of the files' content. Every result reports that version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError

from medguide.knowledge.interaction_index import InteractionIndex, PairMemo, build_index
from medguide.knowledge.models.base import Model
from medguide.knowledge.models.class_entry import COLUMNS, ClassEntry, ClassEntryRow, parse_row
from medguide.knowledge.models.conditions import ConditionFile
from medguide.knowledge.models.drug import Drug, DrugClass, Source
from medguide.knowledge.models.interactions import InteractionFile
from medguide.knowledge.models.symptoms import SymptomFile

DATA_DIR = Path(__file__).parent / "data"

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class KnowledgeError(ValueError):
    """A knowledge file that cannot be loaded; the message names the file and the path."""


class SourcesFile(Model):
    sources: tuple[Source, ...]


class ClassesFile(Model):
    classes: tuple[DrugClass, ...]


@dataclass(frozen=True)
class Catalog:
    """Everything medguide knows, loaded once and never changed."""

    version: str
    drugs: Mapping[str, Drug]
    classes: Mapping[str, DrugClass]
    sources: Mapping[str, Source]
    interactions: InteractionFile = field(default_factory=InteractionFile)
    symptoms: SymptomFile = field(default_factory=SymptomFile)
    conditions: ConditionFile = field(default_factory=ConditionFile)
    # medicines known by class only (no monograph): class_entries.tsv
    class_entries: Mapping[str, ClassEntry] = field(default_factory=lambda: MappingProxyType({}))
    data_dir: Path = DATA_DIR
    # Built when the catalog is made (or taken from the cache beside it): the interaction
    # index, frozen, and the screen's bounded pair memo.
    prebuilt_index: InteractionIndex | None = field(default=None, compare=False, repr=False)
    pair_memo: PairMemo = field(default_factory=PairMemo, compare=False, repr=False)
    # Indexes derived from the knowledge (name keys, the interaction index, symptom phrases,
    # the guide's search index), built once per catalog on first use and owned by it: one
    # per catalog, never more, and gone with the catalog. Building is pure and idempotent,
    # so two threads that race build the same value and either one is kept (dict.setdefault
    # is atomic): a long-lived server and a worker pool share one catalog safely.
    _derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.prebuilt_index is None:
            # frozen dataclass: the index is filled in once, here, when the catalog is made
            object.__setattr__(self, "prebuilt_index", build_index(self))

    @property
    def index(self) -> InteractionIndex:
        """The interaction index, built when the catalog loaded."""
        assert self.prebuilt_index is not None
        return self.prebuilt_index

    def drug(self, drug_id: str) -> Drug | None:
        return self.drugs.get(drug_id)

    def derived(self, key: str, build: Callable[[], T]) -> T:
        """The index `key` of this catalog, built by `build()` the first time it is asked for."""
        found = self._derived.get(key)
        if found is None:
            found = self._derived.setdefault(key, build())
        return cast(T, found)

    def __getstate__(self) -> dict[str, Any]:
        # A worker process gets the knowledge and builds its own indexes; read-only mapping
        # views do not pickle, so they travel as plain dicts and are wrapped again.
        state = {
            k: dict(v) if isinstance(v, MappingProxyType) else v for k, v in vars(self).items()
        }
        return {**state, "_derived": {}, "pair_memo": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key in ("drugs", "classes", "sources", "class_entries"):
            state[key] = MappingProxyType(state[key])
        state["pair_memo"] = PairMemo()
        self.__dict__.update(state)

    def class_members(self, class_id: str) -> tuple[str, ...]:
        """Monographs that list `class_id` (class entries: `class_entry_members`)."""
        return tuple(d.id for d in self.drugs.values() if class_id in d.classes)

    def class_entry_members(self, class_id: str) -> tuple[str, ...]:
        return tuple(e.id for e in self.class_entries.values() if class_id in e.classes)

    def display_name(self, key: str) -> str:
        """The name of a monograph or class entry, else the key itself."""
        drug = self.drugs.get(key)
        if drug is not None:
            return drug.name
        entry = self.class_entries.get(key)
        return entry.name if entry is not None else key


def _validate(model: type[M], data: Any, rel: str) -> M:
    try:
        # JSON mode so that lists become tuples and literals come from strings, while the
        # models stay strict (no "10" for 10, no unknown keys).
        return model.model_validate_json(json.dumps(data, default=str))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        msg = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise KnowledgeError(f"{rel}: {where}: {msg}{more}") from None


def _source_refs(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield (path, source id) for every `sources` list anywhere in a file."""
    if isinstance(data, dict):
        for key, value in data.items():
            sub = f"{path}.{key}" if path else str(key)
            if key == "sources" and isinstance(value, list):
                for i, sid in enumerate(value):
                    yield f"{sub}[{i}]", str(sid)
            else:
                yield from _source_refs(value, sub)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _source_refs(item, f"{path}[{i}]")


def _check_sources(data: Any, rel: str, known: Mapping[str, Source]) -> None:
    for where, sid in _source_refs(data):
        if sid not in known:
            raise KnowledgeError(f"{rel}: {where}: source id {sid!r} is not in sources.yaml")


def _read(path: Path, root: Path) -> tuple[str, Any]:
    # imported here: a process served from the cache never parses YAML
    from medguide.knowledge.yamlfile import YamlTrap, load_yaml

    rel = path.relative_to(root).as_posix()
    try:
        return rel, load_yaml(path.read_text(encoding="utf-8"))
    except YamlTrap as exc:
        raise KnowledgeError(f"{rel}: {exc}") from None


def compute_version(root: Path = DATA_DIR) -> str:
    """A hash of every knowledge file (YAML, name lists, pairwise tables) under `root`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return "kb-" + digest.hexdigest()[:12]


def load_catalog_from(root: Path) -> Catalog:
    """Load and validate the knowledge under `root`; raise KnowledgeError naming the file."""
    rel, raw = _read(root / "sources.yaml", root)
    sources_file = _validate(SourcesFile, raw, rel)
    sources = {s.id: s for s in sources_file.sources}
    if len(sources) != len(sources_file.sources):
        raise KnowledgeError(f"{rel}: duplicate source ids")

    rel, raw = _read(root / "classes.yaml", root)
    _check_sources(raw, rel, sources)
    classes = {c.id: c for c in _validate(ClassesFile, raw, rel).classes}

    drugs: dict[str, Drug] = {}
    for path in sorted((root / "drugs").glob("*.yaml")):
        rel, raw = _read(path, root)
        _check_sources(raw, rel, sources)
        drug = _validate(Drug, raw, rel)
        if drug.id != path.stem:
            raise KnowledgeError(f"{rel}: id {drug.id!r} does not match the file name")
        for cls in drug.classes:
            if cls not in classes:
                raise KnowledgeError(f"{rel}: classes: unknown class {cls!r}")
        drugs[drug.id] = drug

    optional: dict[str, Any] = {}
    entries_path = root / "class_entries.tsv"
    if entries_path.exists():
        optional["class_entries"] = MappingProxyType(
            _load_class_entries(entries_path, root, sources, classes, drugs)
        )
    for name, model in (
        ("interactions", InteractionFile),
        ("symptoms", SymptomFile),
        ("conditions", ConditionFile),
    ):
        path = root / f"{name}.yaml"
        if path.exists():
            rel, raw = _read(path, root)
            _check_sources(raw, rel, sources)
            optional[name] = _validate(model, raw, rel)

    return Catalog(
        version=compute_version(root),
        drugs=MappingProxyType(drugs),
        classes=MappingProxyType(classes),
        sources=MappingProxyType(sources),
        data_dir=root,
        **optional,
    )


def _load_class_entries(
    path: Path,
    root: Path,
    sources: Mapping[str, Source],
    classes: Mapping[str, DrugClass],
    drugs: Mapping[str, Drug],
) -> dict[str, ClassEntry]:
    """Read and validate class_entries.tsv: strict rows, known classes and sources, no clash
    with a monograph, combinations made of known ingredients."""
    rel = path.relative_to(root).as_posix()
    entries: dict[str, ClassEntry] = {}
    header: list[str] | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            if tuple(cols) != COLUMNS:
                want = " ".join(COLUMNS)
                raise KnowledgeError(f"{rel}: line {lineno}: header must be the columns {want}")
            continue
        where = f"{rel}: line {lineno}"
        if len(cols) != len(COLUMNS):
            raise KnowledgeError(f"{where}: {len(cols)} columns, expected {len(COLUMNS)}")
        row = _validate(ClassEntryRow, parse_row(cols), where)
        for m in row.classes:
            if m.class_id not in classes:
                raise KnowledgeError(f"{where}: unknown class {m.class_id!r}")
            if m.source not in sources:
                raise KnowledgeError(f"{where}: source id {m.source!r} is not in sources.yaml")
        if row.id in drugs:
            raise KnowledgeError(f"{where}: {row.id!r} has a monograph; no class entry")
        if row.id in entries:
            raise KnowledgeError(f"{where}: duplicate id {row.id!r}")
        entries[row.id] = ClassEntry.from_row(row)
    for entry in entries.values():
        for ing in entry.ingredients:
            if ing not in drugs and (ing not in entries or entries[ing].kind == "combination"):
                raise KnowledgeError(f"{rel}: {entry.id}: unknown ingredient {ing!r}")
    return entries


# --- the word lists and public name lists beside the knowledge (read on first use) --------


@dataclass(frozen=True)
class WordLists:
    """Words name resolution strips: salts, fillers and dose forms (vocabulary/words.json)."""

    salts: frozenset[str]
    strip: frozenset[str]
    product: frozenset[str]  # words of a product's description ("extended-release", "vial")


@dataclass(frozen=True)
class VocabularyHit:
    ingredient: str
    source: str


def _vocabulary_dir(root: Path) -> Path:
    """The knowledge's own vocabulary folder, or the packaged one (a test knowledge base
    usually carries only drugs and rules)."""
    own = root / "vocabulary"
    return own if own.is_dir() else DATA_DIR / "vocabulary"


def load_word_lists(root: Path = DATA_DIR) -> WordLists:
    raw = json.loads((_vocabulary_dir(root) / "words.json").read_text(encoding="utf-8"))
    salts = frozenset(raw["salts"])
    return WordLists(
        salts=salts,
        strip=salts | frozenset(raw["fillers"]) | frozenset(raw["forms"]),
        product=frozenset(raw["product"]),
    )


def read_consumer_words(root: Path = DATA_DIR) -> Any:
    """The consumer vocabulary file (vocabulary/consumer_words.yaml), parsed; validated by
    `knowledge.consumer_words`."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = (_vocabulary_dir(root) / "consumer_words.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=loader)


def load_public_names(root: Path = DATA_DIR) -> Mapping[str, VocabularyHit]:
    """The public name lists (FDA UNII, DrugBank open vocabulary): key → ingredient, source."""
    index: dict[str, VocabularyHit] = {}
    with (_vocabulary_dir(root) / "names.tsv").open(encoding="utf-8") as fh:
        sources: dict[str, str] = {}
        for line in fh:
            if line.startswith("#"):
                if line.startswith("#source\t"):
                    _, code, label = line.rstrip("\n").split("\t", 2)
                    sources[code] = label
                continue
            key, ingredient, code = line.rstrip("\n").split("\t")
            index[key] = VocabularyHit(ingredient, sources.get(code, code))
    return MappingProxyType(index)

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

from medguide.knowledge.models.base import Model
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
    data_dir: Path = DATA_DIR
    # Indexes derived from the knowledge (name keys, the interaction index, symptom phrases,
    # the guide's search index), built once per catalog on first use and owned by it: one
    # per catalog, never more, and gone with the catalog. Building is pure and idempotent,
    # so two threads that race build the same value and either one is kept (dict.setdefault
    # is atomic): a long-lived server and a worker pool share one catalog safely.
    _derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

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
        return {**state, "_derived": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key in ("drugs", "classes", "sources"):
            state[key] = MappingProxyType(state[key])
        self.__dict__.update(state)

    def class_members(self, class_id: str) -> tuple[str, ...]:
        return tuple(d.id for d in self.drugs.values() if class_id in d.classes)


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


# --- the word lists and public name lists beside the knowledge (read on first use) --------


@dataclass(frozen=True)
class WordLists:
    """Words name resolution strips: salts, fillers and dose forms (vocabulary/words.json)."""

    salts: frozenset[str]
    strip: frozenset[str]


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
    return WordLists(salts=salts, strip=salts | frozenset(raw["fillers"]) | frozenset(raw["forms"]))


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


def read_table(path: Path) -> list[dict[str, str]]:
    """The rows of a tab-separated knowledge table (a header line; `#` lines are comments)."""
    rows: list[dict[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        header: list[str] | None = None
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            rows.append(dict(zip(header, cols, strict=True)))
    return rows

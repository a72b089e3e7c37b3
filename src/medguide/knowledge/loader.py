"""`load_catalog()`: the packaged catalog, validated once per knowledge version and kept
between runs in the user's cache folder.

Validating every knowledge file takes a few hundred milliseconds; unpickling the validated
catalog takes a few tens. The file is named by the knowledge's content hash and by the code
that reads it (medguide's version and the schema modules), so a changed knowledge file or a
changed model is always validated again before use. A damaged or foreign file is ignored and
rebuilt; writing is atomic (a temporary name, then a rename), so a reader never sees half a
file. Where the folder is comes from `medguide.environment`.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from medguide.environment import cache_dir
from medguide.knowledge.catalog import DATA_DIR, Catalog, compute_version, load_catalog_from

CACHE_FORMAT = 4


@cache
def code_key() -> str:
    """A hash of what shapes the pickled objects: the version and the schema modules."""
    import medguide

    here = Path(__file__).parent
    digest = hashlib.sha256(f"{medguide.__version__}:{CACHE_FORMAT}".encode())
    code = [
        here / "catalog.py",
        here / "interaction_index.py",
        here / "consumer_words.py",
        *(here / "models").glob("*.py"),
    ]
    for path in sorted(code):
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _path(folder: Path, version: str) -> Path:
    return folder / f"catalog-{version}-{code_key()}.pickle"


def load(version: str) -> Catalog | None:
    folder = cache_dir()
    path = _path(folder, version) if folder else None
    if path is None or not path.exists():
        return None
    try:
        # Unpickling makes many objects at once; a collection in the middle of it finds
        # nothing to free, so it waits until the catalog is built.
        gc.disable()
        with path.open("rb") as fh:
            state = pickle.load(fh)  # our own file, named by the content hash
        if state.get("version") != version:
            return None
        return _from_state(state)
    except Exception:  # a damaged or foreign cache is ignored and rebuilt
        return None
    finally:
        gc.enable()


def _to_state(cat: Catalog) -> dict[str, Any]:
    from medguide.knowledge.consumer_words import consumer_vocabulary

    return {
        # derived, but as costly to build as the catalog is to unpickle: kept with it
        "interaction_index": cat.index,
        # the consumer vocabulary of `ask`: kept so that PyYAML is not imported for it
        "consumer_words": consumer_vocabulary(cat),
        "version": cat.version,
        "drugs": dict(cat.drugs),
        "classes": dict(cat.classes),
        "sources": dict(cat.sources),
        "interactions": cat.interactions,
        "symptoms": cat.symptoms,
        "conditions": cat.conditions,
        "class_entries": dict(cat.class_entries),
    }


def _from_state(state: dict[str, Any]) -> Catalog:
    cat = Catalog(
        version=state["version"],
        drugs=MappingProxyType(state["drugs"]),
        classes=MappingProxyType(state["classes"]),
        sources=MappingProxyType(state["sources"]),
        interactions=state["interactions"],
        symptoms=state["symptoms"],
        conditions=state["conditions"],
        class_entries=MappingProxyType(state["class_entries"]),
        data_dir=DATA_DIR,
        prebuilt_index=state["interaction_index"],
    )
    if state.get("consumer_words") is not None:
        cat._derived["consumer_words"] = state["consumer_words"]
    return cat


def store(cat: Catalog) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = _path(folder, cat.version)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(_to_state(cat), fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(target)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only home is fine: the catalog is simply validated each run


@cache
def load_catalog() -> Catalog:
    """The packaged catalog, loaded once per process.

    Validation (YAML parsing, the trap lint, the strict schema, source ids) runs once per
    content version; the validated catalog is then kept in the user's cache folder under the
    content hash, so a changed file is always validated again before use.
    """
    version = compute_version(DATA_DIR)
    cat = load(version)
    if cat is None:
        cat = load_catalog_from(DATA_DIR)
        store(cat)
    # The catalog lives as long as the process: later collections need not walk it again.
    gc.freeze()
    return cat

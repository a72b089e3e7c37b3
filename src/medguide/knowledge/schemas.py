"""JSON Schemas of the knowledge files, exported for editors and reviewers.

`knowledge/schemas/<name>.schema.json` is generated from the pydantic models by
`medguide knowledge schema --write`; a test fails when a committed copy is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

SCHEMA_DIR = Path(__file__).parent / "schemas"


def _models() -> dict[str, type[BaseModel]]:
    from medguide.knowledge.catalog import ClassesFile, SourcesFile
    from medguide.knowledge.models.conditions import ConditionFile
    from medguide.knowledge.models.drug import Drug
    from medguide.knowledge.models.interactions import InteractionFile
    from medguide.knowledge.models.symptoms import SymptomFile

    return {
        "drug": Drug,
        "classes": ClassesFile,
        "sources": SourcesFile,
        "interactions": InteractionFile,
        "symptoms": SymptomFile,
        "conditions": ConditionFile,
    }


def build_schemas() -> dict[str, dict[str, Any]]:
    """name → JSON Schema (validation mode, aliases as written in the files)."""
    out = {}
    for name, model in _models().items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"medguide {name} knowledge file"
        out[name] = schema
    return out


def render_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale_schemas(
    directory: Path = SCHEMA_DIR, schemas: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """Names whose exported file is missing or differs from the models."""
    stale = []
    for name, schema in (schemas if schemas is not None else build_schemas()).items():
        path = directory / f"{name}.schema.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render_schema(schema):
            stale.append(name)
    return stale


def write_schemas(
    directory: Path = SCHEMA_DIR, schemas: dict[str, dict[str, Any]] | None = None
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, schema in (schemas if schemas is not None else build_schemas()).items():
        path = directory / f"{name}.schema.json"
        path.write_text(render_schema(schema), encoding="utf-8")
        paths.append(path)
    return paths

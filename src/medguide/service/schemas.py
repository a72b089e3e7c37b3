"""JSON Schemas of the assessment's request and response, shipped with the package.

`service/schemas/assess-request.schema.json` and `assess-response.schema.json` are generated
from the models by `medguide knowledge schema --write`; a test fails when a copy is stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from medguide.clinical.request import AssessRequest
from medguide.clinical.response import AssessmentResponse
from medguide.knowledge.schemas import render_schema

SCHEMA_DIR = Path(__file__).parent / "schemas"

Mode = Literal["validation", "serialization"]


def build_schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    models: tuple[tuple[str, Any, Mode, str], ...] = (
        ("assess-request", AssessRequest, "validation", "medguide assessment request"),
        ("assess-response", AssessmentResponse, "serialization", "medguide assessment response"),
    )
    for name, model, mode, title in models:
        schema = model.model_json_schema(mode=mode)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = title
        out[name] = schema
    return out


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    stale = []
    for name, schema in build_schemas().items():
        path = directory / f"{name}.schema.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render_schema(schema):
            stale.append(name)
    return stale


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, schema in build_schemas().items():
        path = directory / f"{name}.schema.json"
        path.write_text(render_schema(schema), encoding="utf-8")
        paths.append(path)
    return paths

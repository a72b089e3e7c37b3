"""JSON Schemas of the assessment's request and response, shipped with the package.

`service/schemas/assess-request.schema.json` and `assess-response.schema.json` are generated
from the models by `medguide knowledge schema --write`; a test fails when a copy is stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from medguide.clinical.request import AssessRequest
from medguide.clinical.response import AssessmentResponse
from medguide.knowledge import schemas as knowledge_schemas

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
    return knowledge_schemas.stale_schemas(directory, build_schemas())


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    return knowledge_schemas.write_schemas(directory, build_schemas())

"""Golden folders for `assess`: each `tests/golden/assess/<case>/request.json` has the result
it must give, `result.json` (reviewed by eye once, then diffed). A change of output is a
change of behaviour: look at the diff, then regenerate with

    MEDGUIDE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from medguide import service
from medguide.clinical.request import AssessRequest
from medguide.clinical.response import AssessmentResponse
from medguide.knowledge.loader import load_catalog

GOLDEN = Path(__file__).parent / "golden" / "assess"
CASES = sorted(p.parent.name for p in GOLDEN.glob("*/request.json"))


def _result(case: str) -> dict[str, object]:
    request = json.loads((GOLDEN / case / "request.json").read_text(encoding="utf-8"))
    result = service.assess(load_catalog(), AssessRequest.model_validate(request)).as_dict()
    result["knowledge_version"] = "(any)"  # the knowledge's hash changes with every edit
    if isinstance(result.get("answer"), dict):
        result["answer"]["knowledge_version"] = "(any)"
    return result


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES)
def test_assess_gives_its_golden_result(case: str) -> None:
    result = _result(case)
    AssessmentResponse.model_validate(result)
    path = GOLDEN / case / "result.json"
    text = json.dumps(result, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("MEDGUIDE_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not os.environ.get("MEDGUIDE_UPDATE_GOLDEN"):
            pytest.fail(f"wrote {path.name} for {case}: review it and commit")
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), (
        f"{case}: output changed; review and regenerate (see the module docstring)"
    )

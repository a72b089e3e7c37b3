"""Memory a server and a batch run can live with: every cache below the service layer is
bounded and owned by the catalog, so a long run of new requests holds memory flat.

The full figure (200,000 generated assessments) is measured by `bench/bench_memory.py`; this
test runs a smaller version: after a first batch has filled every bounded cache, a second
batch of new requests must not keep growing.
"""

from __future__ import annotations

import gc
import random
import tracemalloc

from medguide import service
from medguide.clinical.request import AssessRequest
from medguide.knowledge.loader import load_catalog

CAT = load_catalog()
DRUGS = ["baclofen", "oxycodone", "gabapentin", "lorazepam", "sertraline", "tizanidine",
         "lisinopril", "metoprolol", "ibuprofen", "zolpidem", "duloxetine", "tramadol"]  # fmt: skip


def _requests(seed: int, n: int) -> list[AssessRequest]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        meds = [
            {"text": f"{rng.choice(DRUGS)} {rng.randint(1, 400)} mg {rng.choice(['tid', 'bid'])}"}
            for _ in range(rng.randint(2, 6))
        ]
        patient = {"age_years": rng.randint(18, 95), "crcl_ml_min": rng.randint(5, 120)}
        out.append(AssessRequest.model_validate({"patient": patient, "medications": meds}))
    return out


def _run(requests: list[AssessRequest]) -> None:
    for r in requests:
        service.assess(CAT, r)


def test_memory_stays_flat_over_new_requests() -> None:
    first, second = _requests(1, 3000), _requests(2, 3000)
    _run(first)  # fills every bounded cache
    derived = set(CAT._derived)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    _run(second)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert set(CAT._derived) == derived  # indexes are per catalog, not per request
    assert grown < 8 * 2**20, f"{grown / 2**20:.1f} MiB more after 3,000 new requests"

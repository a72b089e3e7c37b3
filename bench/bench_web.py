"""Pages for people (issue 16): server time per page and page weight, in-process.

Run: .venv/bin/python bench/bench_web.py   (results go in bench/README.md)

Each page is requested through Starlette's TestClient (no network), warm, N times; the
figure is the p50 and p95 of the wall time of one request. Page weight is the HTML plus
the stylesheet, plus the vendored htmx on the one page that loads it (no images).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

from timing import percentile

sys.path.insert(0, str(Path(__file__).parent.parent / "src"))

N = int(os.environ.get("BENCH_N", "200"))


def main() -> None:
    os.environ.setdefault("MEDGUIDE_HOME", tempfile.mkdtemp(prefix="bench-web-"))
    from fastapi.testclient import TestClient

    from medguide.api import Settings, create_app

    client = TestClient(create_app(settings=Settings(rate_per_minute=1e9, rate_burst=1e9)))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/check").text)
    assert token
    csrf = token.group(1)
    client.post(
        "/journal/start",
        data={"csrf": csrf, "medicine": "baclofen 10 mg three times a day", "timezone": "UTC"},
    )
    cases = [
        ("GET /", "get", "/", None),
        ("GET /find?q=lioresal (redirect)", "get", "/find?q=lioresal", None),
        ("GET /guide/baclofen", "get", "/guide/baclofen", None),
        (
            "POST /check (baclofen + oxycodone)",
            "post",
            "/check",
            {"csrf": csrf, "medicines": "baclofen 10 mg tid\noxycodone 5 mg q6h", "age": "74"},
        ),
        (
            "POST /feel (can't wake him up)",
            "post",
            "/feel",
            {"csrf": csrf, "symptoms": "can't wake him up"},
        ),
        (
            "POST /missed",
            "post",
            "/missed",
            {"csrf": csrf, "drug": "baclofen", "missed": "08:00", "next_due": "20:00"},
        ),
        (
            "POST /plans (titration)",
            "post",
            "/plans",
            {
                "csrf": csrf,
                "kind": "titrate",
                "drug": "baclofen",
                "start": "2026-12-03",
                "target": "60 mg",
            },
        ),
        ("GET /journal (a week)", "get", "/journal", None),
    ]
    css = len(client.get("/static/site.css").content)
    js = len(client.get("/static/htmx-2.0.11.min.js").content)
    print("| page | p50 ms | p95 ms | weight KB |")
    print("|---|---|---|---|")
    for name, method, path, data in cases:

        def call(method: str = method, path: str = path, data: dict[str, str] | None = data) -> int:
            if method == "get":
                r = client.get(path, follow_redirects=False)
            else:
                r = client.post(path, data=data)
            assert r.status_code in (200, 303), (path, r.status_code)
            return len(r.content)

        size = call()
        times = []
        for _ in range(N):
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1000)
        weight = size + css + (js if path == "/journal" else 0)
        print(
            f"| {name} | {percentile(times, 50):.1f} | {percentile(times, 95):.1f} "
            f"| {weight / 1000:.1f} |"
        )


if __name__ == "__main__":
    main()

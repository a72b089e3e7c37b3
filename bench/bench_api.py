"""HTTP API figures (issue 15): time to ready, and load on `POST /api/v1/assess` and the CDS
Hooks `order-sign` service with a five-order bundle, from a separate process on 127.0.0.1.

Run: .venv/bin/python bench/bench_api.py   (results go in bench/README.md)

The server is `medguide serve` in its own process (one uvicorn worker), with the rate limit
lifted for the run. The load comes from wrk (Debian: `apt-get install -y wrk`) when it is
installed, else from a bounded Python loop with httpx threads. Every loop is bounded in time
or count and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from timing import percentile

HERE = Path(__file__).parent
ROOT = HERE.parent
CASE = HERE / "cases" / "five_medications.json"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
WRK_SECONDS = 10
PY_REQUESTS = 3000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def order(n: int, rxcui: str, name: str, dose: float, per_day: int) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": f"draft-{n}",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/bench"},
        "medicationCodeableConcept": {"coding": [{"system": RX, "code": rxcui, "display": name}]},
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg", "code": "mg"}}],
            }
        ],
    }


def order_sign_body() -> dict[str, Any]:
    drafts = [
        order(1, "1292", "baclofen", 20, 4),
        order(2, "7804", "oxycodone", 5, 4),
        order(3, "25480", "gabapentin", 300, 3),
        order(4, "29046", "lisinopril", 10, 1),
        order(5, "36437", "sertraline", 50, 1),
    ]
    egfr = {
        "resourceType": "Observation",
        "id": "egfr",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "98979-8"}]},
        "effectiveDateTime": "2026-11-20",
        "valueQuantity": {"value": 35, "unit": "mL/min/1.73m2", "code": "mL/min/{1.73_m2}"},
    }
    return {
        "hook": "order-sign",
        "hookInstance": "bench",
        "context": {
            "userId": "Practitioner/bench",
            "patientId": "bench",
            "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": d} for d in drafts]},
        },
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "bench", "birthDate": "1950-05-01"},
            "egfr": {"resourceType": "Bundle", "entry": [{"resource": egfr}]},
            "creatinine": None,
            "medications": None,
        },
    }


def start_server(port: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {
        **os.environ,
        "MEDGUIDE_RATE_PER_MINUTE": "100000000",
        "MEDGUIDE_RATE_BURST": "100000000",
    }
    cmd = [sys.executable, "-m", "medguide", "serve", "--port", str(port), "--cds-open"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    deadline = started + 20
    while time.perf_counter() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1", timeout=0.2).status_code == 200:
                return proc, time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.01)
    proc.kill()
    raise SystemExit("the server did not start")


_WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
"""


def wrk_load(url: str, body: dict[str, Any], connections: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        body_path = Path(tmp) / "body.json"
        body_path.write_text(json.dumps(body))
        script = Path(tmp) / "post.lua"
        script.write_text(_WRK_LUA.replace("{body}", str(body_path)))
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{WRK_SECONDS}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=WRK_SECONDS + 30,
        ).stdout

    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": float(errors.group(1)) if errors else 0}


def python_load(url: str, body: dict[str, Any], threads: int) -> dict[str, float]:
    import httpx

    payload = json.dumps(body).encode()
    times: list[float] = []
    bad = [0]
    lock = threading.Lock()
    per_thread = PY_REQUESTS // threads

    def worker() -> None:
        with httpx.Client(headers={"content-type": "application/json"}) as c:
            for _ in range(per_thread):
                t = time.perf_counter()
                r = c.post(url, content=payload)
                elapsed = (time.perf_counter() - t) * 1000
                with lock:
                    times.append(elapsed)
                    bad[0] += r.status_code != 200

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    wall = time.perf_counter() - started
    return {
        "rps": len(times) / wall,
        "p50": statistics.median(times),
        "p99": percentile(times, 99),
        "non2xx": float(bad[0]),
    }


def in_process(path: str, body: dict[str, Any], runs: int = 500) -> list[float]:
    """Milliseconds the app takes for one request, called as ASGI (no socket, no client)."""
    import asyncio

    from medguide.api import Settings, create_app

    app = create_app(settings=Settings(cds_open=True, rate_per_minute=1e9, rate_burst=1e9))
    payload = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"host", b"bench"),
        ],
    }

    async def one() -> None:
        messages = [{"type": "http.request", "body": payload, "more_body": False}]
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app({**scope, "state": {}}, receive, send)
        assert status == [200], status

    async def run() -> list[float]:
        for _ in range(100):
            await one()
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            await one()
            times.append((time.perf_counter() - t) * 1000)
        return times

    return asyncio.run(run())


def main() -> None:
    assess_body = json.loads(CASE.read_text())
    for name, path, body in (
        ("assess in process", "/api/v1/assess", assess_body),
        ("order-sign in process", "/cds-services/medguide-order-sign", order_sign_body()),
    ):
        times = in_process(path, body)
        print(
            f"{name}: median {statistics.median(times):.2f} ms, "
            f"p99 {percentile(times, 99):.2f} ms ({len(times)} requests)"
        )
    readies = []
    for _ in range(3):
        port = free_port()
        proc, ready = start_server(port)
        readies.append(ready)
        proc.terminate()
        proc.wait(timeout=10)
    print(f"server ready after start: {', '.join(f'{r:.2f} s' for r in readies)}")

    port = free_port()
    proc, _ = start_server(port)
    try:
        base = f"http://127.0.0.1:{port}"
        tool = "wrk" if shutil.which("wrk") else "python-httpx"
        for name, path, body in (
            ("POST /api/v1/assess (five medications)", "/api/v1/assess", assess_body),
            (
                "CDS order-sign (five draft orders)",
                "/cds-services/medguide-order-sign",
                order_sign_body(),
            ),
        ):
            import httpx

            check = httpx.post(base + path, json=body, timeout=5)
            assert check.status_code == 200, check.text
            for _ in range(50):  # warm the caches of the server
                httpx.post(base + path, json=body, timeout=5)
            for conc in (4, 8):
                if tool == "wrk":
                    result = wrk_load(base + path, body, conc)
                else:
                    result = python_load(base + path, body, conc)
                print(
                    f"{name}, {tool}, {conc} connections: {result['rps']:.0f} req/s, "
                    f"p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms, "
                    f"non-2xx {result['non2xx']:.0f}"
                )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()

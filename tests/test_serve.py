"""`medguide serve` as a person starts it: a real process on 127.0.0.1 answers REST and CDS
Hooks calls, and stops cleanly."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_loopback() -> None:
    port = free_port()
    env = {**os.environ, "MEDGUIDE_CDS_OPEN": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "medguide", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/api/v1", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        hook = json.loads((FIXTURES / "cds_order_sign_baclofen.json").read_text())
        cards = httpx.post(base + "/cds-services/medguide-order-sign", json=hook).json()["cards"]
        renal = next(c for c in cards if c["source"]["topic"]["code"] == "renal_dose_adjustment")
        action = renal["suggestions"][0]["actions"][0]
        dose = action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
        assert dose["value"] == 5.0  # 20 mg a day in four doses (main's knowledge)
        assert httpx.get(base + "/openapi.json").json()["info"]["title"] == "medguide"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_serve_checks_cds_tokens() -> None:
    import test_cds
    from test_cds import ISS, SIGN, Local, forged, jwk, send_json, token

    keys = Local({"/jwks.json": send_json({"keys": [jwk(test_cds.RSA_KEY, "rsa-1", "RS384")]})})
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medguide",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--cds-audience",
            "https://medguide.test",
            "--cds-issuer",
            f"{ISS}={keys.url}/jwks.json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/cds-services", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        hook = json.loads((FIXTURES / "cds_order_sign_baclofen.json").read_text())

        def call(tok: str) -> int:
            headers = {"Authorization": f"Bearer {tok}"}
            return httpx.post(base + SIGN, json=hook, headers=headers).status_code

        good = token(keys)
        assert call(good) == 200
        assert call(good) == 401  # replayed
        now = int(time.time())
        assert call(token(keys, iat=now - 400, exp=now - 120)) == 401  # expired
        claims = {
            "iss": ISS,
            "aud": "https://medguide.test" + SIGN,
            "iat": now,
            "exp": now + 60,
            "jti": "x",
        }
        assert call(forged({"alg": "none"}, claims, None)) == 401
        assert call(token(keys, key=test_cds.ATTACKER)) == 401  # forged signature
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        keys.close()

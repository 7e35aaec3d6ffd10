"""Schemathesis fuzzes every operation in our OpenAPI document: never a 5xx, errors always JSON."""

from __future__ import annotations

import shutil
import subprocess

from tests.server_process import ServerProcess


def test_generated_requests_never_get_a_server_error(bare_server: ServerProcess) -> None:
    schemathesis = shutil.which("schemathesis")
    assert schemathesis, "schemathesis comes with the test extra"
    done = subprocess.run(
        [
            schemathesis,
            "run",
            f"{bare_server.url}/api/openapi.json",
            "--header",
            f"Authorization: Bearer {bare_server.token}",
            "--checks",
            "not_a_server_error,content_type_conformance,response_schema_conformance",
            "--exclude-path",
            "/api/stream",  # it never ends by design
            "--max-examples",
            "10",
            "--request-timeout",
            "10",
            "--seed",
            "20261125",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed" in done.stdout
    assert "unhandled error" not in bare_server.log()

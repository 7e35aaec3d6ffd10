"""The allowlist on a swarm refuses an https:// advertise URL before touching the
swarm: its proxy's path to the app speaks plain HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.errors import EgressFailed
from runner.swarm import SwarmEngine
from runner.swarmnet import SwarmEgress


def test_an_https_advertise_url_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    egress = SwarmEgress(SwarmEngine("https://app.example", tmp_path), "instance")
    with pytest.raises(EgressFailed, match=r"needs an http:// --advertise-url.*open"):
        egress.ensure("wallfacer-egress:1", ["pypi.org"])

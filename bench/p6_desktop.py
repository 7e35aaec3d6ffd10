"""P6 footprint: headless idle RSS, the bundle's cold start to /health, its size,
and the desktop mode's RSS with the window open.

Run: python -m bench.p6_desktop   (builds the bundle if needed; the desktop
figure needs Xvfb and the gui extra). Targets: idle RSS < 60 MB, cold start
< 1.0 s, Linux bundle without Qt < 100 MB; desktop RSS is reported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.gitrepo import make_repo
from tests.packaging.bundle import bundle_dir, size_mb
from tests.ports import free_port
from tests.server_process import ROOT


def rss_mb(pid: int) -> float:
    """The process and its children (a web view runs in helper processes)."""
    total = 0
    pids = [str(pid)]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    pids += children.split()
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def start(cmd: list[str], env: dict[str, str], url: str) -> tuple[subprocess.Popen[bytes], float]:
    began = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while True:
        try:
            if requests.get(url + "/health", timeout=0.5).ok:
                return proc, time.perf_counter() - began
        except requests.ConnectionError:
            time.sleep(0.01)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


def main() -> None:
    app = bundle_dir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLFACER_")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = make_repo(root / "repo")

        def args(name: str, port: int) -> list[str]:
            return [
                "--addr",
                f"127.0.0.1:{port}",
                "--data-dir",
                str(root / name),
                "--log-dir",
                str(root / name / "logs"),
                "--image",
                "unused:0",
                str(repo),
            ]

        starts = []
        for n in range(5):
            port = free_port()
            proc, took = start(
                [str(app / "Wallfacer"), "--headless", *args(f"b{n}", port)],
                env,
                f"http://127.0.0.1:{port}",
            )
            starts.append(took)
            if n == 0:
                time.sleep(3)  # settle: startup work (recovery, image check) done
                bundle_rss = rss_mb(proc.pid)
            stop(proc)
        port = free_port()
        proc, _ = start(
            [sys.executable, "-m", "app", "--headless", *args("src", port)],
            env,
            f"http://127.0.0.1:{port}",
        )
        time.sleep(3)
        source_rss = rss_mb(proc.pid)
        stop(proc)

        desktop_rss = None
        if os.environ.get("DISPLAY"):
            port = free_port()
            proc, _ = start(
                [sys.executable, "-m", "app", *args("desk", port)],
                {**env, "QTWEBENGINE_DISABLE_SANDBOX": "1"},
                f"http://127.0.0.1:{port}",
            )
            time.sleep(6)  # the window loads the board
            desktop_rss = rss_mb(proc.pid)
            stop(proc)

    print("P6 footprint")
    print(f"  bundle size (Linux, no Qt)      {size_mb(app):6.0f} MB   (target < 100)")
    print(
        f"  bundle cold start to /health    {statistics.median(starts) * 1000:6.0f} ms   "
        f"(median of 5; target < 1000)"
    )
    print(f"  headless idle RSS, bundle       {bundle_rss:6.1f} MB   (target < 60)")
    print(f"  headless idle RSS, from source  {source_rss:6.1f} MB")
    if desktop_rss is not None:
        print(f"  desktop RSS, window open (Qt)   {desktop_rss:6.1f} MB   (with web view helpers)")


if __name__ == "__main__":
    main()

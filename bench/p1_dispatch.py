"""P1 dispatch: POST start -> first agent line over SSE, vs a raw `docker run` printing one line.

The app runs on its defaults (the allowlist egress mode); the raw `docker run`
gets the same network, hardening flags and mounts, so the ratio is what the
app itself adds. Measured twice: a cold start, and a start of a task whose
container was made ahead (POST prepare, until it says ready), which only
starts it and so should beat `docker run`.

Run: python -m bench.p1_dispatch [ROUNDS] [--real-claude]
  default: the busybox fake agent (needs Docker and busybox-static);
  --real-claude: the bundled Claude Code image against the local Messages API
  stub, the same env and session volume for both sides.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import compare
from runner.containers import Engine, instance_id
from runner.egress import URL, Egress, Proxy
from tests.deploy.images import debian_base
from tests.engine import build_sandbox, require_docker
from tests.gitrepo import make_repo
from tests.server_process import ServerProcess, remove_egress

TARGET = 1.15
TARGET_PREPARED = 0.9


def raw_docker_run(image: str, extra: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            "docker",
            "run",
            "--rm",
            *extra,
            image,
            "-p",
            "say hi",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait()
    return elapsed


def same_sandbox(tmp: Path, server: ServerProcess) -> list[str]:
    """The network, hardening flags and mounts the app gives a task container."""
    proxy = Egress(Engine(), instance_id(server.data_dir))
    for name in ("ws", "home", "brief"):
        (tmp / name).mkdir()
        os.chmod(tmp / name, 0o777)
    (tmp / "brief" / "instructions.md").write_text("\n")
    (tmp / "home" / ".claude").mkdir()  # as the app makes it, not left to the mount
    os.chmod(tmp / "home" / ".claude", 0o777)
    flags = ["--network", proxy.network, "--cap-drop", "ALL"]
    flags += ["--security-opt", "no-new-privileges", "--pids-limit", "1024", "--read-only"]
    flags += ["--tmpfs", "/tmp:rw,nosuid,nodev,size=1g", "--user", "1000:1000"]
    flags += ["-v", f"{tmp / 'ws'}:/workspace/repo", "-v", f"{tmp / 'home'}:/home/agent"]
    # The instructions and board.json (runner.brief), read-only.
    flags += ["-v", f"{tmp / 'brief'}:/workspace/.wallfacer:ro"]
    flags += ["-v", f"{tmp / 'brief' / 'instructions.md'}:/home/agent/.claude/CLAUDE.md:ro"]
    flags += ["-w", "/workspace/repo", "-e", "HOME=/home/agent"]
    return flags + [f"-e{k}={v}" for k, v in Proxy(proxy.network, URL, "").env().items()]


def wallfacer_dispatch(server: ServerProcess, ahead: bool = False) -> float:
    task = server.create("say hi")
    while ahead and not server.act(task["id"], "prepare")["ready"]:
        time.sleep(0.02)
    start = time.perf_counter()
    server.act(task["id"], "start")
    server.sse(
        f"/api/tasks/{task['id']}/logs",
        until=lambda evs: any(e["event"] == "output" for e in evs),
    )
    elapsed = time.perf_counter() - start
    server.wait_for(task["id"], "waiting")
    server.act(task["id"], "cancel")
    return elapsed


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rounds = int(args[0]) if args else 15
    real = "--real-claude" in sys.argv
    client = require_docker()
    stub = None
    extra: list[str] = []
    env_lines = ""
    if real:
        from runner.containers import Engine
        from runner.images.build import build, bundled_tag, exists
        from tests.anthropic_stub import AnthropicStub
        from tests.deploy.images import claude_binary

        engine = Engine()
        base, cli = debian_base(client), claude_binary()
        image = bundled_tag("claude", base, cli)
        if not exists(engine, image):
            build(engine, "claude", lambda _line: None, base, cli)
        stub = AnthropicStub()
        stub.start()
        env = {
            "ANTHROPIC_BASE_URL": f"http://host.docker.internal:{stub.port}",
            "ANTHROPIC_API_KEY": "sk-ant-dummy",
        }
        env_lines = "".join(f"{k}={v}\n" for k, v in env.items())
        extra = [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
        size = client.images.get(image).attrs["Size"] / 1e6
        print(f"image {image}: {size:.0f} MB")
    else:
        image = build_sandbox(client)
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo")
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "env").write_text(env_lines)
        defaults = ("--egress", "allowlist", "--image-base", debian_base(client))
        server = ServerProcess(data, [repo], image, extra_args=defaults)
        server.start()
        try:
            wallfacer_dispatch(server)  # warm caches on both sides once
            extra += same_sandbox(Path(tmp), server)
            raw_docker_run(image, extra)
            agent = "real Claude Code" if real else "fake agent"
            raw = ("docker run (CLI), first stdout line", lambda: raw_docker_run(image, extra))
            cold = ("POST start -> first line on SSE", lambda: wallfacer_dispatch(server))
            compare(f"P1 dispatch ({agent})", raw, cold, rounds, TARGET)
            made = (
                "made ahead, POST start -> first SSE line",
                lambda: wallfacer_dispatch(server, ahead=True),
            )
            compare(f"P1 dispatch, made ahead ({agent})", raw, made, rounds, TARGET_PREPARED)
        finally:
            server.stop()
            remove_egress(server)
            if stub is not None:
                stub.stop()


if __name__ == "__main__":
    main()

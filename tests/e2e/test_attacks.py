"""An attacker agent tries to break out of its task; the user's repo and host stay untouched.

The attacker image (``tests/attacker``) runs its prompt as a shell script and
reports what it printed. After each attack the user's git metadata is
unchanged (but for what accept wrote), ``git fsck`` is clean, and no marker
file exists on the host, even after the user runs git there.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pygit2
import pytest

from runner.containers import instance_id
from tests.deploy.images import debian_base
from tests.engine import SANDBOX_DIR, build_sandbox
from tests.gitrepo import file_on_branch, make_repo
from tests.inprocess import InProcessServer
from tests.polling import until
from tests.server_process import ServerProcess, remove_egress

ATTACKER_DIR = SANDBOX_DIR.parent / "attacker"


@pytest.fixture(scope="session")
def attacker_image(docker_client: docker.DockerClient) -> str:
    return build_sandbox(docker_client, ATTACKER_DIR)


@pytest.fixture
def attacked(
    tmp_path: Path, repo: Path, attacker_image: str, docker_client: docker.DockerClient
) -> Iterator[ServerProcess]:
    """The app on its defaults (the allowlist egress mode among them)."""
    base = debian_base(docker_client)
    args = ("--pids-limit", "200", "--egress", "allowlist", "--image-base", base)
    proc = InProcessServer(tmp_path / "data", [repo], image=attacker_image, extra_args=args)
    proc.start()
    yield proc
    proc.stop()
    remove_egress(proc)


def git_metadata(repo: Path) -> dict[str, str]:
    """Digests of everything in .git but the objects: config, hooks, refs, logs, HEAD."""
    git = repo / ".git"
    return {
        str(path.relative_to(git)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(git.rglob("*"))
        if path.is_file()
        and path.relative_to(git).parts[0] not in ("objects", "index", "COMMIT_EDITMSG")
    }


def assert_untouched(repo: Path, before: dict[str, str], marker: Path) -> None:
    subprocess.run(["git", "status"], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", "commit", "--allow-empty", "-qm", "probe"], cwd=repo, check=True)
    subprocess.run(["git", "reset", "-q", "--soft", "HEAD~1"], cwd=repo, check=True)
    # The app's own refs (the task branch, its base) and what the probe commit wrote aside.
    ours = ("logs/", "ORIG", "refs/heads/task/", "refs/wallfacer/")
    after = {k: v for k, v in git_metadata(repo).items() if not k.startswith(ours)}
    expected = {k: v for k, v in before.items() if not k.startswith(ours)}
    assert after == expected
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=repo, capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
    assert not marker.exists(), "the attacker ran code on the host"


def attack(
    server: ServerProcess, script: str, timeout: float = 60, **fields: Any
) -> tuple[str, str]:
    """Run ``script`` as a task (made with ``fields``); its id and everything it printed."""
    task = server.create(script, title="attack", **fields)
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting", timeout=timeout)
    events = server.api("GET", f"/api/tasks/{task['id']}/events?limit=1000")["events"]
    texts = [
        e["text"]
        for ev in events
        if ev["type"] == "output"
        for e in ev["data"]["events"]
        if e["kind"] == "result"
    ]
    return task["id"], texts[-1]


F1_F2 = """
OBJ=$(cat .git/objects/info/alternates); GITDIR=${OBJ%/objects}
id -u
printf '[core]\\n\\tfsmonitor = "touch MARKER"\\n' >> $GITDIR/config && echo WROTE config
HOOK=$GITDIR/hooks/pre-commit
mkdir -p $GITDIR/hooks && printf '#!/bin/sh\\ntouch MARKER\\n' > $HOOK && echo WROTE hook
echo 0000000000000000000000000000000000000000 > $GITDIR/refs/heads/main && echo WROTE ref
rm -r $GITDIR/logs && echo WROTE logs gone
true > $GITDIR/packed-refs && echo WROTE packed-refs
touch $OBJ/evil && echo WROTE objects
for f in $OBJ/*/*; do true > $f && echo WROTE truncated $f; done 2>/dev/null
chmod -R 777 $OBJ 2>/dev/null && echo WROTE chmod
echo "seen: $(ls -a $GITDIR 2>/dev/null | grep -v '^[.]*$' | tr '\\n' ' ')"
echo "objects readable: $(ls $OBJ | grep -c info)"
"""


def test_the_users_git_dir_cannot_be_written(
    attacked: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    """F1 and F2: config, hooks, refs, reflogs, packed-refs and objects are out of reach."""
    marker = tmp_path / "pwned"
    before = git_metadata(repo)
    _, out = attack(attacked, F1_F2.replace("MARKER", str(marker)))
    assert "WROTE" not in out, out
    assert out.splitlines()[0] == "1000", "never root inside the container"
    seen = next(line for line in out.splitlines() if line.startswith("seen:"))
    assert seen.split()[1:] in ([], ["objects"]), "of the user's .git, only the objects are seen"
    assert "objects readable: 1" in out, "for git in the workspace"
    assert_untouched(repo, before, marker)


def test_another_repo_a_task_spans_is_as_far_out_of_reach(
    attacked: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    """The same attacks from a task's other repository's workspace: its user's .git stays
    as it was, and a link planted there lands as a link, never as what it points at."""
    lib = make_repo(tmp_path / "lib", {"lib.txt": "v1\n"}).resolve()
    attacked.api("POST", "/api/repos", {"path": str(lib)}, status=201)
    marker = tmp_path / "pwned"
    before = git_metadata(lib)
    script = "cd /workspace/lib\n" + F1_F2.replace("MARKER", str(marker))
    script += "ln -s /etc/passwd leak && echo planted\n"
    task_id, out = attack(attacked, script, also=[str(lib)])
    assert "WROTE" not in out and "planted" in out, out
    assert_untouched(lib, before, marker)
    attacked.act(task_id, "accept")
    attacked.wait_for(task_id, "done")
    assert file_on_branch(lib, "main", "leak") == "/etc/passwd", "the link, not the file"
    landed = pygit2.Repository(str(lib)).revparse_single("main").peel(pygit2.Commit).tree
    assert landed["leak"].filemode == pygit2.enums.FileMode.LINK
    assert file_on_branch(repo, "main", "leak") is None


def test_a_redirected_gitdir_cannot_steer_accept(
    attacked: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    """F3: the workspace's .git points at another repository; accept lands on ours only."""
    other = make_repo(tmp_path / "other", {"o.txt": "o\n"})
    other_before = git_metadata(other)
    marker = tmp_path / "pwned"
    before = git_metadata(repo)
    script = (
        "echo work > task.txt; rm -rf .git; "
        f"printf 'gitdir: {other}/.git\\n' > .git; "
        f"mkdir -p hooks; printf '#!/bin/sh\\ntouch {marker}\\n' > hooks/post-commit; echo ok"
    )
    task_id, out = attack(attacked, script)
    assert out.strip() == "ok"
    attacked.act(task_id, "accept")
    attacked.wait_for(task_id, "done")
    assert file_on_branch(repo, "main", "task.txt") == "work\n"
    assert file_on_branch(repo, "main", ".git") is None, "a .git path is never committed"
    assert git_metadata(other) == other_before
    assert_untouched(other, other_before, marker)
    changed = {k for k, v in git_metadata(repo).items() if before.get(k) != v}
    assert changed <= {"refs/heads/main", "logs/HEAD", "logs/refs/heads/main", "ORIG_HEAD"}


def test_homes_and_workspaces_are_per_task(
    attacked: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    """One task plants settings and a secret; the next sees neither."""
    plant = (
        'mkdir -p ~/.claude && echo \'{"hooks":"evil"}\' > ~/.claude/settings.json; '
        "echo SECRET-OF-A > secret.txt; echo $HOME; ls -a /home /workspace"
    )
    first, out = attack(attacked, plant)
    assert out.splitlines()[0] == "/home/agent"
    probe = (
        "cat ~/.claude/settings.json 2>/dev/null || echo NO-SETTINGS; "
        "grep -rs SECRET-OF-A /workspace /home /tmp /mnt /srv /opt /root /var 2>/dev/null "
        "|| echo NO-SECRET; ls /workspace"
    )
    _, seen = attack(attacked, probe)
    assert seen.split() == ["NO-SETTINGS", "NO-SECRET", "project"], seen
    homes = attacked.data_dir / "homes"
    assert (homes / first / ".claude" / "settings.json").exists(), "the first task keeps its own"
    attacked.api("POST", f"/api/tasks/{first}/cancel", status=202)
    attacked.api("DELETE", f"/api/tasks/{first}")
    assert not (homes / first).exists(), "a home goes with its task"


BRIEF_ATTACK = """
I=$HOME/.claude/CLAUDE.md; B=/workspace/.wallfacer
grep -q 'Stay on topic' $I && echo READ instructions
grep -q '"tasks"' $B/board.json && echo READ board
echo evil > $I 2>/dev/null && echo WROTE instructions
rm -f $I 2>/dev/null; [ -e $I ] || echo WROTE instructions gone
echo evil > $B/board.json 2>/dev/null && echo WROTE board
rm -f $B/board.json 2>/dev/null; [ -e $B/board.json ] || echo WROTE board gone
touch $B/new 2>/dev/null && echo WROTE new file
mv $B /tmp/b 2>/dev/null && echo WROTE moved
mkdir /workspace/evil 2>/dev/null && echo WROTE beside the workspace
mv $HOME/.claude $HOME/.aside && mkdir -p $HOME/.claude/CLAUDE.md && echo MOVED ASIDE
"""


def test_the_instructions_and_the_board_cannot_be_changed_or_replaced(
    attacked: ServerProcess,
) -> None:
    """The agent can write neither file, nor anything beside them; the config dir it
    moved aside (mounted file and all) for one of its own is undone before its next run."""
    attacked.api("PUT", "/api/config", {"instructions": "Stay on topic."})
    task_id, out = attack(attacked, BRIEF_ATTACK)
    assert out.startswith("READ instructions\nREAD board\n") and "WROTE" not in out, out
    assert out.endswith("MOVED ASIDE\n"), out
    brief = attacked.data_dir / "workspaces" / task_id / "brief"
    assert (brief / "instructions.md").read_text().startswith("Stay on topic.\n")
    assert '"tasks"' in (brief / "board.json").read_text()
    attacked.act(
        task_id, "feedback", {"message": "cat ~/.claude/CLAUDE.md; ls -A /workspace/.wallfacer"}
    )
    attacked.wait_for(task_id, "waiting")
    events = attacked.api("GET", f"/api/tasks/{task_id}/events?limit=1000")["events"]
    seen = [
        e["text"]
        for ev in events
        if ev["type"] == "output"
        for e in ev["data"]["events"]
        if e["kind"] == "result"
    ][-1]
    assert seen.startswith("Stay on topic.\n") and "evil" not in seen, seen
    assert seen.split()[-2:] == ["board.json", "instructions.md"], seen


LEAVE_TRACES = """
echo secret of the last task > untracked.txt
mkdir -p build && echo artefact > build/out.bin && echo build/ > .gitignore
echo '*.log' >> .git/info/exclude && echo ignored > debug.log
echo staged > staged.txt
printf '[core]\\n\\thooksPath = /tmp\\n\\tfsmonitor = "touch MARKER"\\n' >> .git/config
printf '[alias]\\n\\tst = !touch MARKER\\n' >> .git/config
printf '#!/bin/sh\\ntouch MARKER\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit
ln -s /etc/passwd out
chmod 4755 README.md
ln README.md hard
mkdir locked && echo x > locked/inside && chmod 000 locked
echo ok
"""
PROBE = (
    "cat .git/config; echo HOOKS $(ls -A .git/hooks); echo FILES $(ls -A); "
    "echo SETUID $(find . -perm -4000); echo LINKS $(stat -c %h README.md)"
)


def ready_entries(data_dir: Path) -> dict[int, Path]:
    return {path.stat().st_ino: path for path in data_dir.glob("pool/*/ready-*")}


@pytest.mark.usefixtures("quick_pool")
def test_a_recycled_workspace_keeps_nothing_of_the_task_before(
    attacked: ServerProcess, tmp_path: Path
) -> None:
    """The pool hands a cancelled task's workspace to a later task only after a hard
    clean: nothing the attacker left there (files, git config, hooks, links, modes)
    reaches it."""
    data, marker = attacked.data_dir, tmp_path / "pwned"
    until("the pool's first workspace", lambda: len(ready_entries(data)) == 1)
    first, out = attack(attacked, LEAVE_TRACES.replace("MARKER", str(marker)))
    assert out.strip() == "ok"
    workspace = data / "workspaces" / first / "work" / "project"
    planted = workspace.stat().st_ino
    assert planted not in ready_entries(data), "taken from the pool"
    override = ["-c", "safe.directory=*", "-c", "core.fsmonitor=false"]
    subprocess.run(["git", *override, "add", "staged.txt"], cwd=workspace, check=True)
    until("the pool's refill", lambda: len(ready_entries(data)) == 1)
    attacked.act(first, "cancel")
    _, out = attack(attacked, "echo takes the fresh one")
    until("the recycled workspace", lambda: planted in ready_entries(data))

    second, seen = attack(attacked, PROBE)

    reused = data / "workspaces" / second / "work" / "project"
    assert reused.stat().st_ino == planted, "the second task got the recycled workspace"
    assert "MARKER" not in seen and "hooksPath" not in seen and "alias" not in seen, seen
    assert "fsmonitor" not in seen, seen
    lines = {line.split()[0]: line.split()[1:] for line in seen.splitlines() if line.strip()}
    assert lines["HOOKS"] == ["README.sample"]
    assert lines["FILES"] == [".git", "README.md"]
    assert lines["SETUID"] == [] and lines["LINKS"] == ["1"]
    status = subprocess.run(
        ["git", *override, "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=reused,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""
    assert not marker.exists()


def listener() -> tuple[int, threading.Event]:
    """A service on every host address, to see whether a task can reach it."""
    reached = threading.Event()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", 0))
    sock.listen()
    sock.settimeout(60)

    def accept() -> None:
        try:
            conn, _ = sock.accept()
            reached.set()
            conn.close()
        except OSError:
            pass
        finally:
            sock.close()

    threading.Thread(target=accept, daemon=True).start()
    return int(sock.getsockname()[1]), reached


def test_the_apps_api_and_host_services_are_out_of_reach(
    attacked: ServerProcess, docker_client: docker.DockerClient
) -> None:
    port, reached = listener()
    subnet = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0]["Subnet"]
    gateway = str(next(ipaddress.ip_network(subnet).hosts()))  # the host's side of the bridge
    script = " ; ".join(
        f"(wget -q -T 3 -O - http://{host}:{p}/health >/dev/null 2>&1 && echo REACHED {host}:{p})"
        for host in ("host.docker.internal", gateway, "127.0.0.1")
        for p in (attacked.port, port)
    )
    _, out = attack(attacked, script + "; echo done")
    assert "REACHED" not in out, out
    assert not reached.is_set(), "a task reached a service on the host"


def test_a_fork_bomb_stops_at_the_pids_limit(attacked: ServerProcess) -> None:
    script = (  # the bomb's shell dies at the limit; the count uses builtins only
        "(n=0; while [ $n -lt 400 ]; do sleep 20 >/dev/null 2>&1 & n=$((n+1)); done) 2>/dev/null; "
        "set -- /proc/[0-9]*; echo $#"
    )
    task_id, out = attack(attacked, script, timeout=90)
    assert 100 < int(out.strip()) <= 200, out
    assert attacked.task(task_id)["status"] == "waiting"


def test_secrets_the_agent_prints_are_stored_and_shown_redacted(attacked: ServerProcess) -> None:
    secret = "sk-ant-test-0123456789abcdef"
    env = {
        "ANTHROPIC_API_KEY": secret,
        "ANTHROPIC_BASE_URL": "http://model-proxy.invalid:9/v1",
        "SHORT_TOKEN": "abc",
    }
    attacked.api("PUT", "/api/config", {"env": env})
    task_id, out = attack(attacked, 'echo "key=$ANTHROPIC_API_KEY"; env | sort; exit 3')
    assert "key=[redacted]" in out
    assert "ANTHROPIC_BASE_URL=http://model-proxy.invalid:9/v1" in out, "a URL is no secret"
    assert "SHORT_TOKEN=abc" in out, "too short to be a credential"
    attacked.act(task_id, "feedback", {"message": f"never print {secret} again"})
    attacked.wait_for(task_id, "waiting")
    events = attacked.request("GET", f"/api/tasks/{task_id}/events?limit=1000").text
    assert secret not in events and "[redacted]" in events
    attacked.stop()
    for stored in attacked.data_dir.glob("wallfacer.db*"):
        assert secret.encode() not in stored.read_bytes(), stored
    assert secret not in attacked.log()


def test_egress_reaches_allowed_hosts_through_the_proxy_and_nothing_else(
    tmp_path: Path, repo: Path, attacker_image: str, docker_client: docker.DockerClient
) -> None:
    base = debian_base(docker_client)
    args = ("--egress", "allowlist", "--image-base", base, "--allow-host", "allowed.test")
    server = InProcessServer(tmp_path / "data", [repo], image=attacker_image, extra_args=args)
    server.start()
    hosts: list[docker.models.containers.Container] = []
    try:
        attack(server, "echo warm-up")  # the proxy and its networks now exist
        outside = f"wallfacer-egress-{instance_id(server.data_dir)}-out"
        for name in ("allowed.test", "denied.test"):
            page = f"mkdir -p /tmp/w && echo page-of-{name} > /tmp/w/index.html"
            hosts.append(
                docker_client.containers.run(
                    attacker_image,
                    entrypoint=["/bin/sh", "-c", f"{page} && httpd -f -p 80 -h /tmp/w"],
                    detach=True,
                    labels={"wallfacer.test": str(tmp_path)},
                    network=outside,
                    networking_config={
                        outside: docker_client.api.create_endpoint_config(aliases=[name])
                    },
                )
            )
        denied_ip = hosts[1].reload() or hosts[1].attrs["NetworkSettings"]["Networks"][outside]
        # Requests as a proxy-aware client sends them ($http_proxy is set in the task);
        # busybox's own wget crashes on proxies, so nc speaks HTTP here.
        request = "printf 'GET http://{0}/ HTTP/1.0\\r\\nHost: {0}\\r\\n\\r\\n'"
        get = request + " | nc -w 5 egress-proxy 8888"
        script = (
            # the fake host may still be starting: a few tries
            f"for i in 1 2 3 4 5 6 7 8; do page=$({get.format('allowed.test')} "
            '| grep -o page-of-allowed.test); [ -n "$page" ] && break; sleep 1; done; '
            'echo "$page"; '
            f"{get.format('denied.test')} | head -1 | grep -q ' 403 ' && echo REFUSED; "
            f"nc -w 3 {denied_ip['IPAddress']} 80 </dev/null && echo DIRECT || echo NO-ROUTE; "
            'case "$http_proxy" in http://egress-proxy:8888) echo PROXY-SET;; esac'
        )
        task_id, out = attack(server, script)
        lines = [line for line in out.splitlines() if not line.startswith("nc:")]
        assert lines == ["page-of-allowed.test", "REFUSED", "NO-ROUTE", "PROXY-SET"], out
        deadline = time.monotonic() + 15  # the log is told within a poll of the proxy
        while True:
            notes = [
                ev["data"].get("message", "")
                for ev in server.api("GET", f"/api/tasks/{task_id}/events?limit=1000")["events"]
            ]
            if any("egress proxy refused denied.test" in n for n in notes):
                break
            assert time.monotonic() < deadline, notes
            time.sleep(0.5)
        assert not any("allowed.test" in n for n in notes)
    finally:
        for host in hosts:
            host.remove(force=True)
        server.stop()
        remove_egress(server)

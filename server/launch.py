"""Everything a run's container needs before it starts, made on a worker thread.

The workspace and home (owned by the user the container runs as), the
network plan (and, in allowlist mode, the egress proxy), and the env, put
together as the ``RunSpec`` the engine starts. Kept apart from ``runs``,
which owns slots, streaming and outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pygit2

from runner import boot, brief, homes, include, repos, trees, workspaces
from runner.agents import Adapter
from runner.containers import Engine
from runner.egress import Egress
from runner.repos import RepoInfo
from runner.runspec import Extra, RunSpec, sandbox_owner
from server import briefing, network
from server.config import RuntimeConfig
from server.model import Also, Task
from server.settings import Settings


@dataclass(frozen=True)
class Host:
    """What every container of a task's agent is made with, whatever it runs (a run,
    one made ahead, a side session): this instance's settings, engine and egress."""

    settings: Settings
    engine: Engine
    egress: Egress


@dataclass(frozen=True)
class Other:
    """Another repository a task spans, as a run asks for it (``Request.include`` and
    ``base_branch``, for that repository)."""

    repo: RepoInfo
    base_branch: str
    include: str


@dataclass(frozen=True)
class Request:
    task_id: str
    instance: str
    image: str
    proxy_image: str  # "" unless the egress mode is allowlist
    args: list[str]
    repo: RepoInfo
    base_branch: str
    # What makes the workspace and the steps before the agent: as much a part of the
    # request as the rest, so a container made ahead of a change to them is stale.
    include: str  # the checkout's .worktreeinclude
    steps: tuple[boot.Step, ...]
    also: tuple[Other, ...] = ()  # the other repositories the task spans


def request(task: Task, instance: str, image: str, proxy_image: str, args: list[str]) -> Request:
    """What a run of ``task`` asks for (blocking: it reads the task's repository)."""
    repo = repos.inspect_repo(task.repo)
    return Request(
        task_id=task.id,
        instance=instance,
        image=image,
        proxy_image=proxy_image,
        args=args,
        repo=repo,
        base_branch=task.base_branch or repo.default_branch,
        include=include.rules_of(repo.path),
        steps=tuple(step for step in [boot.setup_step(repo.path)] if step),
        also=tuple(_extra(extra.repo, extra.base_branch) for extra in task.also),
    )


def _extra(path: str, base_branch: str) -> Other:
    info = repos.inspect_repo(path)
    return Other(info, base_branch or info.default_branch, include.rules_of(info.path))


@dataclass(frozen=True)
class Prepared:
    spec: RunSpec
    workspace: workspaces.Workspace
    proxied: bool  # behind the egress proxy, whose refusals the task's log shows
    allow: tuple[str, ...]  # the proxy's allowlist, for a start to ensure it still runs
    notes: tuple[str, ...]  # for the task's log: what bootstrapping its workspace did
    also: tuple[workspaces.Workspace, ...] = ()  # the other repositories', as ``request.also``


def prepare(
    host: Host,
    config: RuntimeConfig,
    env: dict[str, str],
    adapter: Adapter,
    request: Request,
    take: workspaces.Take | None = None,
) -> Prepared:
    settings = host.settings
    args, env, owner = _invocation(host.engine, adapter, request, env)
    task_id = request.task_id
    # The settings' script is in ``config``, which a fingerprint covers whole.
    own = config.setup_script
    mine = [boot.Step("user-setup", own, "the settings' setup script")] if own.strip() else []
    steps = [*mine, *request.steps]
    notes = [f"running {step.source} before the agent" for step in steps]

    seed = _seeder(request.repo.path, request.include, owner, notes)
    root = settings.workspaces_dir / task_id
    ws = workspaces.create(request.repo, task_id, root, request.base_branch, owner, take, seed)
    # Each other repository's workspace in a folder of its own under the task's (its
    # own host.git beside it), so removing the task's folder removes them all. Made
    # afresh, never from the pool; seeded from its own .worktreeinclude.
    also = tuple(
        workspaces.create(
            other.repo,
            task_id,
            workspaces.also_root(root, other.repo.name),
            other.base_branch,
            owner,
            seed=_seeder(other.repo.path, other.include, owner, notes, other.repo.name),
        )
        for other in request.also
    )
    template = settings.templates_dir / adapter.name
    home = homes.create(settings.homes_dir / task_id, template, adapter.home, owner)
    shadows = (adapter.instructions, *adapter.instructions_overrides)
    homes.clear(home, adapter.home, shadows, owner)  # the mount's place, and what would hide it
    text = briefing.instructions(config.instructions, template / adapter.instructions)
    brief.write(ws.root, brief.INSTRUCTIONS, text)
    mounts = Mounts(
        workspace=ws.path,
        objects=ws.objects,
        home=home,
        boot=boot.write(root / "boot", steps),
        readonly=brief.mounts(ws.root, adapter.home, adapter.instructions),
        also=tuple(
            Extra(extra.path, other.repo.name, extra.objects)
            for extra, other in zip(also, request.also, strict=True)
        ),
    )
    spec, route = _contain(host, config, env, adapter, request, args, owner, mounts)
    return Prepared(spec, ws, route.mode == "allowlist", route.allow, tuple(notes), also)


def _invocation(
    engine: Engine, adapter: Adapter, request: Request, env: dict[str, str]
) -> tuple[list[str], dict[str, str], tuple[int, int]]:
    """The agent's arguments and environment, and who its container runs as."""
    args = [*adapter.options(env), *request.args]
    return args, adapter.environment(env), sandbox_owner(engine.image_user(request.image))


@dataclass(frozen=True)
class Mounts:
    """What a container sees of the host: its workspace, objects, home and files."""

    workspace: Path
    objects: Path
    home: Path
    boot: Path | None = None
    readonly: tuple[tuple[Path, str], ...] = ()
    also: tuple[Extra, ...] = ()  # the other repositories' workspaces a task spans
    workspace_readonly: bool = False


def _contain(
    host: Host,
    config: RuntimeConfig,
    env: dict[str, str],
    adapter: Adapter,
    request: Request,
    args: list[str],
    owner: tuple[int, int],
    mounts: Mounts,
    label: str = "",
) -> tuple[RunSpec, network.Plan]:
    """The container of a run or a side session: one network plan, egress proxy and set
    of limits for both. ``label`` names the container's owner when it is not the
    task's run (so recovery never takes a side session's container for the run's)."""
    route = network.plan(
        config.egress,
        config.network,
        config.host_access,
        config.egress_allow,
        adapter.api_hosts,
        env,
    )
    net = route.network
    if route.mode == "allowlist":
        proxy = host.egress.ensure(request.proxy_image, route.allow)
        env, net = {**env, **proxy.env()}, proxy.network
    spec = RunSpec(
        task_id=label or request.task_id,
        instance=request.instance,
        image=request.image,
        args=args,
        workspace=mounts.workspace,
        repo_name=request.repo.name,
        objects=mounts.objects,
        home=mounts.home,
        user=f"{owner[0]}:{owner[1]}",
        env=env,
        cpus=config.cpus,
        memory=config.memory,
        network=net,
        pids_limit=config.pids_limit,
        host_gateway=route.host_gateway,
        boot=mounts.boot,
        readonly=mounts.readonly,
        also=mounts.also,
        workspace_readonly=mounts.workspace_readonly,
    )
    return spec, route


def side(
    host: Host,
    config: RuntimeConfig,
    env: dict[str, str],
    adapter: Adapter,
    request: Request,
    name: str,
    workspace: Path | None,
    also: tuple[Also, ...] = (),
) -> tuple[RunSpec, Path]:
    """A side session's container (``server.side``) and its folder, which the caller
    removes after it: a home of its own, and ``workspace`` mounted read-only (the
    task's, left as it is), with the workspaces of the other repositories it spans
    (``also``) read-only beside it, or an empty folder of its own when it needs none.

    No steps before the agent and no instructions: the session is no run of the
    task, and its prompt is all it is asked.
    """
    args, env, owner = _invocation(host.engine, adapter, request, env)
    folder = host.settings.data_dir / "side" / f"{request.task_id}.{name}"
    trees.remove(folder)  # what a session cut off by a crash left
    template = host.settings.templates_dir / adapter.name
    home = homes.create(folder / "home", template, adapter.home, owner)
    scratch = folder / "work"
    if workspace is None:
        scratch.mkdir()
        trees.give(scratch, owner)
    mounts = Mounts(
        workspace=workspace or scratch,
        objects=request.repo.git_dir / "objects",
        home=home,
        also=tuple(
            Extra(Path(extra.worktree), other.repo.name, other.repo.git_dir / "objects")
            for extra, other in zip(also, request.also, strict=True)
            if workspace is not None and extra.worktree
        ),
        workspace_readonly=workspace is not None,
    )
    label = f"{request.task_id}.{name}"
    spec, _ = _contain(host, config, env, adapter, request, args, owner, mounts, label)
    return spec, folder


def _seeder(
    checkout: Path, rules: str, owner: tuple[int, int], notes: list[str], name: str = ""
) -> workspaces.Seed:
    """Copies what a checkout's .worktreeinclude ``rules`` name into a new workspace,
    saying so in ``notes`` (under ``name``, for another repository the task spans)."""

    def seed(path: Path, user: pygit2.Repository, tree: pygit2.Tree) -> None:
        copied = include.copy(checkout, user, tree, path, rules, owner)
        notes.extend(f"{name}: {note}" if name else note for note in copied)

    return seed


def recorded(task: Task, request: Request, prepared: Prepared) -> list[Also]:
    """The task's other repositories as its record keeps them once their workspaces
    are made. Each one's base is its task branch's tip: no sync or conflict round
    moves it, and a refused accept puts it back, so it is the base after a cancel
    and retry (a fresh workspace) as well as on a resume."""
    return [
        replace(
            extra, base_branch=other.base_branch, worktree=str(ws.path), base_commit=ws.base_commit
        )
        for extra, other, ws in zip(task.also, request.also, prepared.also, strict=True)
    ]

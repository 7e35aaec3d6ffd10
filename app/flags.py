"""The command line's flags, each declared once beside its WALLFACER_* variable.

One row builds the argparse argument, names the variable in ``--help`` and
reads the variable when the flag is absent, so a service manager or a
container can configure the app without a command line, and the three never
drift apart.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import platformdirs

from runner.agents import AGENTS
from runner.backends import BACKENDS
from server.validation import EGRESS_MODES

APP_NAME = "wallfacer"


@dataclass(frozen=True)
class Flag:
    """The flag wins, then its variable (an empty one counts as unset), then ``default``."""

    flag: str | None  # None: a variable with no flag, e.g. a secret kept off the command line
    var: str
    help: str
    dest: str = ""  # from the flag's name, else the variable's
    type: Callable[[str], object] = str
    default: str | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    repeatable: bool = False  # the flag repeats; the variable is a comma-separated list

    @property
    def key(self) -> str:
        name = self.flag.removeprefix("--") if self.flag else self.var.removeprefix("WALLFACER_")
        return self.dest or name.replace("-", "_").lower()

    def describe(self) -> str:
        notes = [self.var + (", comma-separated" if self.repeatable else "")]
        if self.default is not None:
            notes.append(f"default {self.default}")
        return f"{self.help}{'; repeatable' if self.repeatable else ''} ({'; '.join(notes)})"

    def value(self, given: object) -> object:
        """Raises ValueError naming the variable when its text is not a valid value."""
        if given is not None:
            return given
        text = os.environ.get(self.var, "").strip()
        if not text:
            return self.default
        try:
            if self.repeatable:
                return [self._parse(item.strip()) for item in text.split(",") if item.strip()]
            return self._parse(text)
        except ValueError as exc:
            raise ValueError(f"{self.var}: {exc}") from exc

    def _parse(self, text: str) -> object:
        if self.choices and text not in self.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(self.choices)}")
        return self.type(text)


def add_flags(parser: argparse.ArgumentParser, flags: Iterable[Flag], title: str = "") -> None:
    """Variables without a flag add nothing. Defaults stay None here, so that ``resolve``
    can tell an absent flag from a given one."""
    target = parser.add_argument_group(title) if title else parser
    for f in flags:
        if f.flag is None:
            continue
        target.add_argument(
            f.flag,
            dest=f.key,
            action="append" if f.repeatable else "store",
            type=f.type,
            choices=f.choices,
            metavar=f.metavar,
            help=f.describe(),
        )


def resolve(
    parser: argparse.ArgumentParser, args: argparse.Namespace, flags: Iterable[Flag]
) -> None:
    """Fill each flag's value in ``args``: given, else from its variable, else its default."""
    for f in flags:
        try:
            setattr(args, f.key, f.value(getattr(args, f.key, None)))
        except ValueError as exc:
            parser.error(str(exc))


DATA_DIR = Flag(
    "--data-dir",
    "WALLFACER_DATA_DIR",
    "store, worktrees, token and env file",
    metavar="DIR",
    default=platformdirs.user_data_dir(APP_NAME),
)
SERVER = (
    Flag(
        "--addr",
        "WALLFACER_ADDR",
        "HOST:PORT to bind; port 0 picks one",
        default="127.0.0.1:8080",
    ),
    DATA_DIR,
    Flag(
        "--log-dir",
        "WALLFACER_LOG_DIR",
        "rotating log files",
        metavar="DIR",
        default=platformdirs.user_log_dir(APP_NAME),
    ),
    Flag(
        "--log-format",
        "WALLFACER_LOG_FORMAT",
        "log lines as text or JSON",
        choices=("text", "json"),
        default="text",
    ),
    Flag(
        "--allowed-host",
        "WALLFACER_ALLOWED_HOSTS",
        "a public name the server answers to",
        metavar="NAME",
        repeatable=True,
    ),
    Flag(
        "--trusted-proxy",
        "WALLFACER_TRUSTED_PROXY",
        "a reverse proxy's address or network, whose X-Forwarded-For names the client",
        metavar="ADDR",
        repeatable=True,
    ),
    Flag(
        "--preview-host",
        "WALLFACER_PREVIEW_HOST",
        "the address task previews listen on, each on a port of its own",
        metavar="HOST",
        default="127.0.0.1",
    ),
    Flag("--tls-cert", "WALLFACER_TLS_CERT", "serve HTTPS with this certificate", metavar="FILE"),
    Flag("--tls-key", "WALLFACER_TLS_KEY", "the certificate's private key", metavar="FILE"),
    Flag(
        "--backend",
        "WALLFACER_BACKEND",
        "what runs the tasks: this machine's engine, a Docker Swarm (its manager's "
        "engine) or a Kubernetes cluster (the kubeconfig's), with --advertise-url",
        choices=BACKENDS,
        default="local",
    ),
    Flag(
        "--advertise-url",
        "WALLFACER_ADVERTISE_URL",
        "how a remote backend's task containers reach the app (needs auth, as a public "
        "bind does; its host is an allowed name)",
        metavar="URL",
    ),
    Flag(
        "--constraint",
        "WALLFACER_CONSTRAINTS",
        "a placement constraint for every task, e.g. node.role==worker; on Kubernetes "
        "a node label, node.labels.KEY==VALUE or node.hostname==NAME",
        metavar="EXPR",
        repeatable=True,
    ),
    Flag(
        "--node-engine",
        "WALLFACER_NODE_ENGINES",
        "a Swarm node's engine API (unix:// or tcp://), which the app loads each task's "
        "image into when it lacks it: for a swarm without a registry",
        metavar="URL",
        repeatable=True,
    ),
    Flag(
        "--namespace",
        "WALLFACER_K8S_NAMESPACE",
        "the Kubernetes namespace of the tasks' Jobs and the egress proxy",
        default="default",
    ),
    Flag(
        "--image-base",
        "WALLFACER_IMAGE_BASE",
        "base image for building the bundled sandbox images",
        metavar="IMAGE",
    ),
)
# Fields of server.config.RuntimeConfig: given here, they are pinned for this run;
# otherwise the value saved from the board's settings dialog applies.
RUNTIME = (
    Flag(
        "--image",
        "WALLFACER_IMAGE",
        "Claude's sandbox image, whose ENTRYPOINT is the CLI; default: the bundled one, "
        "built on first use",
    ),
    Flag("--cpus", "WALLFACER_CPUS", "CPUs per task", type=float),
    Flag("--memory", "WALLFACER_MEMORY", "memory per task, e.g. 4g"),
    Flag("--network", "WALLFACER_NETWORK", "container network mode"),
    Flag(
        "--timeout",
        "WALLFACER_TIMEOUT_MIN",
        "minutes before a run is stopped; default 60",
        dest="timeout_min",
        type=float,
        metavar="MINUTES",
    ),
    Flag("--max-parallel", "WALLFACER_MAX_PARALLEL", "tasks running at once; default 4", type=int),
    Flag(
        "--egress",
        "WALLFACER_EGRESS",
        "what task containers may reach: nothing, anything, or allowed hosts through "
        "a proxy; default allowlist",
        choices=EGRESS_MODES,
    ),
    Flag(
        "--allow-host",
        "WALLFACER_ALLOW_HOSTS",
        "a host (or *.suffix) tasks may reach in allowlist mode, beyond the agents' APIs "
        "and the common package registries",
        dest="egress_allow",
        metavar="HOST",
        repeatable=True,
    ),
    Flag(
        "--pids-limit",
        "WALLFACER_PIDS_LIMIT",
        "processes per task container; default 1024",
        type=int,
    ),
    Flag(
        "--workspace-pool",
        "WALLFACER_WORKSPACE_POOL",
        "workspaces kept checked out per repository for the next task starts; 0 turns "
        "the pool off; default 1",
        type=int,
        metavar="N",
    ),
)
ENVIRONMENT_ONLY = (
    Flag(None, "WALLFACER_TOKEN", "the API token, instead of the data dir's"),
    *(
        Flag(
            None,
            f"WALLFACER_{agent.upper()}_BINARY",
            f"a host install of {agent}'s CLI to copy into its image",
        )
        for agent in AGENTS
    ),
)

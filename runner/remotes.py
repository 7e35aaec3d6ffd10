"""A registered repository against its remote: git status, and pushing its default branch.

Read-only except for ``push``, which sends the default branch to its upstream
through pygit2 with the user's ssh agent (``SSH_AUTH_SOCK``). Host keys are
trusted only when they are in the user's ``~/.ssh/known_hosts``: libgit2 checks
that file and tells ``certificate_check`` the verdict (pygit2 hands the callback
no key, so a fingerprint cannot be recorded on first use). An unknown or
changed key refuses the push, as ``ssh`` itself would with strict checking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pygit2
from pygit2.enums import CredentialType, FileStatus

from runner.errors import RunnerError
from runner.repos import default_branch, inspect_repo, open_repo

KNOWN_HOSTS = "~/.ssh/known_hosts"
MAX_FILES = 500  # a panel, not a file manager: the rest is a count


class NoUpstream(RunnerError):
    """The default branch tracks no remote branch, so there is nowhere to push it."""


class PushFailed(RunnerError):
    """The remote refused or could not be reached; ``cause`` says which, for a person."""

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause  # "rejected", "auth", "host_key" or "unreachable"


@dataclass(frozen=True)
class Status:
    branch: str  # the checkout's branch ("" when detached)
    default_branch: str
    upstream: str  # e.g. "origin/main"; "" when the default branch tracks none
    remote_url: str  # without any password or token in it
    ahead: int
    behind: int
    files: list[dict[str, str]] = field(default_factory=list)  # {"path", "status"}
    more_files: int = 0  # uncommitted beyond ``files``


@dataclass(frozen=True)
class Pushed:
    branch: str
    upstream: str
    commit: str


def status(path: Path) -> Status:
    info = inspect_repo(path)
    repo = open_repo(info.path)
    default = info.default_branch
    target = _upstream(repo, default)
    ahead = behind = 0
    upstream = url = ""
    if target is not None:
        remote, merge = target
        upstream = f"{remote.name}/{merge.removeprefix('refs/heads/')}"
        url = _without_secret(remote.url or "")
        tracking = repo.references.get(f"refs/remotes/{upstream}")
        local = repo.references.get(f"refs/heads/{default}")
        if tracking is not None and local is not None:
            ahead, behind = repo.ahead_behind(local.target, tracking.target)
    files, more = _changed_files(repo)
    return Status(info.checked_out, default, upstream, url, ahead, behind, files, more)


def push(path: Path) -> Pushed:
    """Send the default branch to its upstream; fast-forward only, as ``git push`` does."""
    repo = open_repo(path)
    default = default_branch(repo)
    target = _upstream(repo, default)
    if target is None:
        raise NoUpstream(
            f"{default} has no upstream to push to; set one once with"
            f" git push -u <remote> {default}"
        )
    remote, merge = target
    callbacks = _Callbacks()
    local = f"refs/heads/{default}"
    try:
        remote.push([f"{local}:{merge}"], callbacks=callbacks)
    except _AuthRefused as exc:
        raise PushFailed("auth", exc.message(remote.name or "")) from exc
    except (pygit2.GitError, OSError) as exc:
        raise callbacks.failure(str(exc), remote.name or "", default) from exc
    if callbacks.refused:
        raise PushFailed("rejected", f"the remote refused {merge}: {callbacks.refused}")
    # libgit2 moves the remote-tracking ref itself, through the remote's fetch refspec.
    upstream = f"{remote.name}/{merge.removeprefix('refs/heads/')}"
    return Pushed(default, upstream, str(repo.references[local].target))


def _upstream(repo: pygit2.Repository, branch: str) -> tuple[pygit2.Remote, str] | None:
    """The remote and its ref that ``branch`` tracks (branch.<name>.remote and .merge)."""
    config = repo.config
    name = _config(config, f"branch.{branch}.remote")
    merge = _config(config, f"branch.{branch}.merge")
    if not name or not merge or name == ".":
        return None
    try:
        return repo.remotes[name], merge
    except (KeyError, pygit2.GitError):
        return None


def _config(config: pygit2.Config, key: str) -> str:
    try:
        return str(config[key])
    except KeyError:
        return ""


def _changed_files(repo: pygit2.Repository) -> tuple[list[dict[str, str]], int]:
    """At most ``MAX_FILES``, and how many more; an untracked directory counts once."""
    changed = sorted(repo.status(untracked_files="normal").items())
    files = [{"path": name, "status": _describe(flags)} for name, flags in changed[:MAX_FILES]]
    return files, max(0, len(changed) - MAX_FILES)


_WORDS = (
    (FileStatus.CONFLICTED, "conflicted"),
    (FileStatus.WT_NEW, "untracked"),
    (FileStatus.INDEX_NEW, "added"),
    (FileStatus.INDEX_DELETED | FileStatus.WT_DELETED, "deleted"),
    (FileStatus.INDEX_RENAMED | FileStatus.WT_RENAMED, "renamed"),
)


def _describe(flags: int) -> str:
    for mask, word in _WORDS:
        if flags & mask:
            return word
    return "modified"


def _without_secret(url: str) -> str:
    """``https://user:token@host/x`` as ``https://user@host/x``: a URL may carry a token."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{host}"))


class _Callbacks(pygit2.RemoteCallbacks):
    """The ssh agent's keys, known_hosts' verdict, and what went wrong, for the message."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0
        self.unknown_host = ""
        self.refused = ""

    def credentials(
        self, url: str, username_from_url: str | None, allowed_types: CredentialType
    ) -> pygit2.KeypairFromAgent:
        # libgit2 asks again after each refusal: a second ask means the agent's keys failed.
        self.asked += 1
        if not allowed_types & CredentialType.SSH_KEY:
            raise _AuthRefused("is not an ssh remote; pushing supports ssh, with your ssh agent")
        if self.asked > 1:
            raise _AuthRefused(
                "refused the keys in your ssh agent (SSH_AUTH_SOCK); add the right one with"
                " ssh-add, then push again"
            )
        return pygit2.KeypairFromAgent(username_from_url or "git")

    def certificate_check(self, certificate: None, valid: bool, host: bytes | str) -> bool:
        if not valid:
            self.unknown_host = host.decode() if isinstance(host, bytes) else host
        return valid

    def push_update_reference(self, refname: str, message: str | None) -> None:
        if message:
            self.refused = message

    def failure(self, detail: str, remote: str, branch: str) -> PushFailed:
        if self.unknown_host:
            return PushFailed(
                "host_key",
                f"the ssh host key of {self.unknown_host} is not one you trust: it is not in"
                f" {KNOWN_HOSTS} (or it changed). Check it, e.g. by connecting once with ssh,"
                " then push again",
            )
        lowered = detail.lower()
        if "authentication" in lowered or "agent" in lowered:
            return PushFailed("auth", f"{remote}: could not sign in with your ssh agent: {detail}")
        if "fastforward" in lowered or "not present locally" in lowered:
            return PushFailed(
                "rejected",
                f"{remote}'s {branch} has commits yours does not (non-fast-forward); pull"
                " and merge them first, then push again",
            )
        return PushFailed("unreachable", f"could not reach {remote}: {detail}")


class _AuthRefused(Exception):
    """Raised from the credentials callback: libgit2 would otherwise ask again forever."""

    def message(self, remote: str) -> str:
        return f"{remote} {self.args[0]}"

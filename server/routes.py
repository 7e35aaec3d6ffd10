"""The one route table: the server's routes, the JS client's route list, the
OpenAPI document and the README's API table are all generated from ``ROUTES``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from server.api import (
    attempts,
    board,
    git,
    pages,
    preview,
    runtime,
    ship,
    system,
    tasks,
    templates,
    usage,
)
from server.api.common import ok

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DEFAULT_MAX_BODY = 1024 * 1024
SSE = "text/event-stream"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    name: str  # the JS client calls routes by this name
    summary: str
    auth: bool = True
    max_body: int = DEFAULT_MAX_BODY
    media: str = "application/json"  # what a successful answer is
    api: bool = True  # part of the HTTP API (listed in OpenAPI), not a page


async def openapi(request: web.Request) -> web.Response:
    return ok(openapi_document(system.app_version()))


async def route_list(request: web.Request) -> web.Response:
    """What the browser client needs to build URLs: name -> method and path template."""
    return ok({r.name: {"method": r.method, "path": r.path} for r in ROUTES if r.api})


T = tasks
ROUTES: tuple[Route, ...] = (
    Route("GET", "/", pages.index, "index", "The board page", auth=False, api=False),
    Route(
        "GET",
        "/static/{path:.+}",
        pages.static,
        "static",
        "The board's files",
        auth=False,
        api=False,
    ),
    Route(
        "GET", "/login", pages.login_page, "loginPage", "Password sign-in", auth=False, api=False
    ),
    Route("GET", "/health", system.health, "health", "Liveness and readiness", auth=False),
    Route(
        "GET",
        "/api/ship/{run}",
        ship.fetch,
        "shipIn",
        "A remote run's files as a tar, once (its run token, not the API token), after its start",
        auth=False,
        media="application/x-tar",
    ),
    Route(
        "POST",
        "/api/ship/{run}",
        ship.send_back,
        "shipOut",
        "A remote run's files back (a tar in base64), once (its run token), checked as untrusted",
        auth=False,
    ),
    Route("GET", "/metrics", system.metrics, "metrics", "Prometheus metrics", media="text/plain"),
    Route(
        "GET",
        "/api/login",
        pages.signin_options,
        "signinOptions",
        "Whether a password is set",
        auth=False,
    ),
    Route("POST", "/api/login", pages.login, "login", "Sign in with the password", auth=False),
    Route("POST", "/api/logout", pages.logout, "logout", "Sign out this browser"),
    Route(
        "POST",
        "/api/login-codes",
        pages.login_code,
        "loginCode",
        "A one-time sign-in link for a browser",
    ),
    Route(
        "GET", "/api/states", board.rules, "states", "Statuses, board columns, groups, transitions"
    ),
    Route("GET", "/api/stats", board.stats, "stats", "Counts per status and cost (?since=)"),
    Route(
        "GET",
        "/api/usage",
        usage.usage,
        "usage",
        "Cost and tokens per local day, repository and agent (?days=, ?offset=)",
    ),
    Route(
        "GET",
        "/api/usage.csv",
        usage.usage_csv,
        "usageCsv",
        "The same rows as CSV, for a spreadsheet",
        media="text/csv",
    ),
    Route("GET", "/api/repos", board.list_repos, "listRepos", "Registered repositories"),
    Route("POST", "/api/repos", board.add_repo, "addRepo", "Register a repository"),
    Route(
        "GET",
        "/api/repos/git",
        git.git_status,
        "repoGit",
        "A registered repository's branch, ahead/behind its upstream, uncommitted files (?path=)",
    ),
    Route(
        "POST",
        "/api/repos/push",
        git.push,
        "pushRepo",
        "Push a registered repository's default branch to its upstream (ssh agent)",
    ),
    Route("GET", "/api/runtime", runtime.runtime, "runtime", "Docker or Podman, version, socket"),
    Route("GET", "/api/images", runtime.list_images, "listImages", "Sandbox image per agent"),
    Route(
        "POST",
        "/api/images/{agent}/prepare",
        runtime.prepare_image,
        "prepareImage",
        "Build or pull an agent's image (again)",
    ),
    Route("GET", "/api/config", board.get_config, "getConfig", "Settings and the masked agent env"),
    Route("PUT", "/api/config", board.put_config, "putConfig", "Change settings and the agent env"),
    Route("GET", "/api/openapi.json", openapi, "openapi", "This API, as OpenAPI 3.1"),
    Route("GET", "/api/routes", route_list, "routes", "Route names for the browser client"),
    Route(
        "GET",
        "/api/tasks",
        T.list_tasks,
        "listTasks",
        "List or search tasks (?q=, ?tag=, ?status=, ?repo=, ?agent=, ?archived=)",
    ),
    Route(
        "POST",
        "/api/tasks",
        T.create_task,
        "createTask",
        "Create a task in the backlog (also: more registered repos it spans)",
    ),
    Route(
        "POST",
        "/api/tasks/batch",
        T.create_batch,
        "createBatch",
        "Create many tasks at once, depending on each other by ref; all or none",
        max_body=16 * 1024 * 1024,
    ),
    Route(
        "POST",
        "/api/tasks/bulk",
        T.bulk_action,
        "bulkTasks",
        "Start, cancel, archive or unarchive many tasks; a result per task",
    ),
    Route("GET", "/api/tasks/{id}", T.get_task, "getTask", "One task"),
    Route(
        "PATCH",
        "/api/tasks/{id}",
        T.edit_task,
        "editTask",
        "Edit prompt, title, depends_on, scheduled_at (backlog only), tags, budget, archived, "
        "auto_test, auto_accept",
    ),
    Route("DELETE", "/api/tasks/{id}", T.delete_task, "deleteTask", "Delete a task"),
    Route(
        "POST",
        "/api/tasks/{id}/prepare",
        T.prepare_task,
        "prepareTask",
        "Make a backlog task's container ahead of its likely start; ready: whether it is made",
    ),
    Route(
        "POST", "/api/tasks/{id}/start", T.start_task, "startTask", "Start: backlog -> in_progress"
    ),
    Route(
        "POST",
        "/api/tasks/{id}/feedback",
        T.feedback_task,
        "feedbackTask",
        "Answer a waiting task; resumes its agent session",
    ),
    Route(
        "POST",
        "/api/tasks/{id}/accept",
        T.accept_task,
        "acceptTask",
        "Commit, rebase onto the default branch and fast-forward",
    ),
    Route(
        "POST", "/api/tasks/{id}/cancel", T.cancel_task, "cancelTask", "Cancel; stops the container"
    ),
    Route("POST", "/api/tasks/{id}/retry", T.retry_task, "retryTask", "Back to the backlog"),
    Route(
        "POST",
        "/api/tasks/{id}/verify",
        T.verify_task,
        "verifyTask",
        "Test: a verifier session judges the change (waiting or failed); verdict on the task",
    ),
    Route(
        "POST",
        "/api/tasks/{id}/sync",
        T.sync_task,
        "syncTask",
        "Rebase a waiting or failed task's change onto the default branch's head, landing nothing",
    ),
    Route(
        "POST",
        "/api/tasks/{id}/resume",
        T.resume_task,
        "resumeTask",
        "Resume a failed task's agent session",
    ),
    Route(
        "POST",
        "/api/tasks/{id}/attempts",
        attempts.start_attempts,
        "startAttempts",
        "Start 2 to 5 attempts of the task's prompt, each with its agent and model",
    ),
    Route(
        "GET",
        "/api/tasks/{id}/attempts",
        attempts.list_attempts,
        "taskAttempts",
        "The task's group of attempts: the original and each attempt, oldest first",
    ),
    Route(
        "PUT",
        "/api/tasks/{id}/preview",
        preview.set_preview,
        "setPreview",
        "Preview {port} of the running task's container on an origin of its own",
    ),
    Route(
        "GET",
        "/api/tasks/{id}/preview",
        preview.get_preview,
        "getPreview",
        "The preview: port, URL",
    ),
    Route(
        "DELETE", "/api/tasks/{id}/preview", preview.stop_preview, "stopPreview", "End the preview"
    ),
    Route(
        "GET",
        "/api/tasks/{id}/events",
        T.task_events,
        "taskEvents",
        "A page of the task's log (?after=, ?limit=; ?before= for the newest, 0: the end)",
    ),
    Route(
        "GET", "/api/tasks/{id}/turns", T.task_turns, "taskTurns", "Token usage and cost per turn"
    ),
    Route(
        "GET",
        "/api/tasks/{id}/diff",
        T.task_diff,
        "taskDiff",
        "The change under review: files, +/- counts, highlighted hunks; other repos' in also",
    ),
    Route(
        "GET",
        "/api/tasks/{id}/conflicts",
        T.task_conflicts,
        "taskConflicts",
        "The conflicting hunks after an accept's rebase conflicted",
    ),
    Route(
        "GET",
        "/api/tasks/{id}/logs",
        T.task_logs,
        "taskLogs",
        "Live log as server-sent events; replays first",
        media=SSE,
    ),
    Route(
        "GET",
        "/api/templates",
        templates.list_templates,
        "listTemplates",
        "Prompt templates, each with its {{variables}}",
    ),
    Route(
        "POST",
        "/api/templates",
        templates.create_template,
        "createTemplate",
        "Save a prompt template",
    ),
    Route("GET", "/api/templates/{id}", templates.get_template, "getTemplate", "One template"),
    Route(
        "PUT", "/api/templates/{id}", templates.put_template, "putTemplate", "Replace a template"
    ),
    Route(
        "DELETE",
        "/api/templates/{id}",
        templates.delete_template,
        "deleteTemplate",
        "Delete a template",
    ),
    Route(
        "GET",
        "/api/stream",
        T.board_stream,
        "boardStream",
        "Board changes as server-sent events (Last-Event-ID replay)",
        media=SSE,
    ),
)
del T


def lookup(method: str, canonical: str) -> Route | None:
    return _BY_KEY.get((method, canonical))


_BY_KEY = {(r.method, r.path): r for r in ROUTES}


def install(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler, name=route.name)


_ERROR = {
    "description": "What went wrong, for a person to act on",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "field": {"type": "string", "description": "The request field at fault"},
                },
            }
        }
    },
}


def openapi_document(version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in (r for r in ROUTES if r.api):
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", route.path)
        ]
        op: dict[str, Any] = {
            "operationId": route.name,
            "summary": route.summary,
            "parameters": params,
            "responses": {
                "2XX": {"description": "Success", "content": {route.media: {}}},
                "4XX": _ERROR,
                "5XX": _ERROR,
            },
        }
        if not route.auth:
            op["security"] = []
        if route.method in ("POST", "PATCH", "PUT"):
            op["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Wallfacer", "version": version},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }

"""The board asks for a container to be made ahead while a card is picked up, or
its Start button pointed at, and the start then runs that very container."""

from __future__ import annotations

import time

import docker
from playwright.sync_api import Page, expect

from tests.engine import containers_of
from tests.server_process import ServerProcess


def made_ahead(client: docker.DockerClient, task_id: str) -> str:
    deadline = time.monotonic() + 30
    while not (found := containers_of(client, task_id)):
        assert time.monotonic() < deadline, "no container was made ahead"
        time.sleep(0.05)
    assert client.containers.get(found[0]).status == "created"
    return found[0]


def asks_prepare(task_id: str):  # type: ignore[no-untyped-def]
    return lambda r: r.method == "POST" and r.url.endswith(f"/api/tasks/{task_id}/prepare")


def test_picking_up_a_card_makes_its_container_and_the_drop_runs_it(
    page: Page, server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    task = server.create("say picked up\nsleep 2", title="Made ahead")
    card = page.locator("[data-column=backlog] .card", has_text="Made ahead")
    expect(card).to_be_visible()

    with page.expect_request(asks_prepare(task["id"])) as asked:
        card.hover()
        page.mouse.down()
    assert asked.value.response().status == 202  # type: ignore[union-attr]
    page.mouse.up()
    made = made_ahead(docker_client, task["id"])

    card.drag_to(page.locator("[data-column=in_progress] .cards"))
    expect(page.locator("[data-column=in_progress] .card", has_text="Made ahead")).to_be_visible()
    mine = {"label": f"wallfacer.task={task['id']}"}
    deadline = time.monotonic() + 30
    while not (started := docker_client.containers.list(filters=mine)):
        assert time.monotonic() < deadline, "the task's container never ran"
        time.sleep(0.05)
    assert started[0].id == made, "the start ran the container made ahead"
    expect(page.locator("[data-column=waiting] .card", has_text="Made ahead")).to_be_visible(
        timeout=20_000
    )


def test_pointing_at_start_in_the_detail_makes_its_container(
    page: Page, server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    task = server.create("say hi", title="Pointed at")
    page.locator(".card", has_text="Pointed at").press("Enter")  # no pointer on the card
    start = page.locator("#detail-actions [data-action=start]")
    expect(start).to_be_visible()
    with page.expect_request(asks_prepare(task["id"])):
        start.hover()
    made_ahead(docker_client, task["id"])

"""The inspector page in a real browser, against the demo scenario on a real socket.

Each test waits on what the page shows (Playwright's expectations retry until they hold
or time out); none sleeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo.json"
LOBBY = "!lobby:localhost"


@pytest.fixture
def demo() -> Iterator[ThreadedServer]:
    """The demo world with its clock frozen, so its timed script waits for the test."""
    homeserver = Homeserver.create(ServerConfig(port=0))
    homeserver.load_fixture_file(DEMO)
    homeserver.clock.freeze()
    running = ThreadedServer(homeserver).start()
    yield running
    running.stop()


def alice(server: ThreadedServer) -> httpx.Client:
    """A client API client with the demo's alice token (as a real client would hold it)."""
    sessions = server.homeserver.store.sessions.values()
    token = next(s.access_token for s in sessions if s.user_id == "@alice:localhost")
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def open_lobby(page: Page, server: ThreadedServer) -> None:
    page.goto(f"{server.base_url}/_mock/")
    expect(page.locator("#live")).to_have_text("live")
    page.get_by_role("button", name=re.compile("^Lobby")).click()
    expect(page.locator("#room-detail h2")).to_have_text("Lobby")


def test_shows_the_lobby_and_its_messages(demo: ThreadedServer, page: Page) -> None:
    open_lobby(page, demo)
    room = demo.homeserver.store.room(LOBBY)
    messages = [e for e in room.events if e.type == "m.room.message"]
    assert len(room.events) > 50, "the demo's lobby is longer than one page"
    timeline = page.locator("#timeline")
    # Newest first: the first item is the room's newest event, and a page holds 50.
    expect(timeline.locator("li").first).to_have_attribute("data-event-id", room.events[-1].event_id)
    expect(timeline.locator("li")).to_have_count(50)
    for event in messages[-5:]:
        expect(timeline).to_contain_text(event.content["body"])
    # Paging back reaches the room's first event.
    while page.locator("#older").count():
        shown = timeline.locator("li").count()
        page.locator("#older").click()
        expect(timeline.locator("li")).not_to_have_count(shown)
    expect(timeline.locator("li")).to_have_count(len(room.events))
    expect(timeline.locator("li").last).to_have_attribute("data-event-id", room.events[0].event_id)
    expect(timeline).to_contain_text(messages[0].content["body"])
    expect(page.locator("#room-detail table")).to_contain_text("@alice:localhost")
    expect(page.locator("#users")).to_contain_text("@bob:localhost")


def test_a_message_sent_by_a_client_appears_without_reload(demo: ThreadedServer, page: Page) -> None:
    open_lobby(page, demo)
    with alice(demo) as client:
        sent = client.put(
            f"/_matrix/client/v3/rooms/{LOBBY}/send/m.room.message/inspector-1",
            json={"msgtype": "m.text", "body": "Seen live in the inspector"},
        )
        assert sent.status_code == 200
    newest = page.locator("#timeline li").first
    expect(newest).to_contain_text("Seen live in the inspector")
    expect(newest).to_have_attribute("data-event-id", sent.json()["event_id"])


def test_releases_the_next_script_step(demo: ThreadedServer, page: Page) -> None:
    open_lobby(page, demo)
    page.get_by_role("tab", name=re.compile("Controls")).click()
    steps = page.locator("#script-steps li")
    expect(steps.first).to_contain_text("@bob:localhost typing")
    page.get_by_role("button", name="Release the next step").click()  # bob starts typing
    expect(steps.first).to_contain_text("Is the build green again?")
    page.get_by_role("button", name="Release the next step").click()  # bob sends
    expect(page.locator("#message")).to_have_text("Released the next step")
    page.get_by_role("tab", name=re.compile("World")).click()
    expect(page.locator("#timeline li").first).to_contain_text("Is the build green again?")


def test_a_fault_added_on_the_page_fails_the_clients_next_request(
    demo: ThreadedServer, page: Page
) -> None:
    open_lobby(page, demo)
    page.keyboard.press("3")  # the Controls tab, from the keyboard
    form = page.locator("#add-fault")
    form.get_by_label("path").fill("/_matrix/client/*/rooms/*/send/*")
    form.get_by_label("status").fill("503")
    form.get_by_label("errcode").fill("M_UNKNOWN")
    form.get_by_role("button", name="Add the fault").click()
    expect(page.locator("#faults")).to_contain_text("f1")
    with alice(demo) as client:
        failed = client.put(
            f"/_matrix/client/v3/rooms/{LOBBY}/send/m.room.message/inspector-2",
            json={"msgtype": "m.text", "body": "this one fails"},
        )
    assert failed.status_code == 503
    page.keyboard.press("2")  # Traffic
    row = page.locator("#journal tbody tr").first
    expect(row).to_contain_text("/send/m.room.message/inspector-2")
    expect(row.locator("td").nth(4)).to_have_text("503")
    expect(row.locator("td").nth(5)).to_have_text("f1")
    # The rule fired once and is used up: the list follows the change.
    page.keyboard.press("3")
    expect(page.locator("#faults")).to_contain_text("f1: * /_matrix/client/*/rooms/*/send/* → 503 M_UNKNOWN (1 hit, 0 left)")


def test_acts_as_a_user_from_the_page(demo: ThreadedServer, page: Page) -> None:
    open_lobby(page, demo)
    page.get_by_role("tab", name=re.compile("Controls")).click()
    form = page.locator("#act")
    form.get_by_label("user").select_option("@carol:localhost")
    form.get_by_label("room").select_option(LOBBY)
    form.get_by_role("textbox", name="message").fill("Typed into the inspector")
    form.get_by_role("button", name="Act").click()
    expect(page.locator("#message")).to_have_text("@carol:localhost: send")
    room = demo.homeserver.store.room(LOBBY)
    assert room.events[-1].content.get("body") == "Typed into the inspector"
    assert room.events[-1].sender == "@carol:localhost"


def test_tabs_work_from_the_keyboard(demo: ThreadedServer, page: Page) -> None:
    page.goto(f"{demo.base_url}/_mock/")
    expect(page.locator("#live")).to_have_text("live")
    page.get_by_role("tab", name=re.compile("World")).focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name=re.compile("Traffic"))).to_be_focused()
    expect(page.locator("#traffic")).to_be_visible()
    expect(page.locator("#world")).to_be_hidden()

"""Scenario fixtures hold threads, replies, reactions and edits by the event ids they give."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mockserver.scenarios import ScenarioError
from tests.scenario_docs import FIXTURES, client_for, frozen_homeserver
from tests.snapshot import snapshot
from tests.support import Account

V1 = "/_matrix/client/v1"
ROOM = "!release:localhost"


def message(body: str, **extra: Any) -> dict[str, Any]:
    return {"msgtype": "m.text", "body": body, **extra}


def document() -> dict[str, Any]:
    thread = {"rel_type": "m.thread", "event_id": "$root"}
    return {
        "users": [
            {"user_id": "@alice:localhost", "access_token": "alice_token"},
            {"user_id": "@bob:localhost", "access_token": "bob_token"},
        ],
        "rooms": [
            {
                "room_id": ROOM,
                "creator": "@alice:localhost",
                "members": [{"user_id": "@bob:localhost", "membership": "join"}],
                "timeline": [
                    {"event_id": "$root", "type": "m.room.message", "sender": "@alice:localhost",
                     "content": message("Ship it?")},
                    {"event_id": "$reply", "type": "m.room.message", "sender": "@bob:localhost",
                     "content": message("Yes", **{"m.relates_to": thread})},
                    {"type": "m.reaction", "sender": "@bob:localhost", "content": {
                        "m.relates_to": {"rel_type": "m.annotation", "event_id": "$root", "key": "👍"}}},
                    {"event_id": "$typo", "type": "m.room.message", "sender": "@alice:localhost",
                     "content": message("teh end")},
                    {"type": "m.room.message", "sender": "@alice:localhost", "content": message(
                        "* the end", **{"m.new_content": message("the end"),
                                        "m.relates_to": {"rel_type": "m.replace", "event_id": "$typo"}})},
                    {"type": "m.room.message", "sender": "@bob:localhost", "content": message(
                        "> Ship it?\n\nAbout time", **{"m.relates_to": {"m.in_reply_to": {"event_id": "$root"}}})},
                ],
                "receipts": [{"user_id": "@bob:localhost", "event_id": "$reply", "thread_id": "$root"}],
            }
        ],
    }


async def test_a_scenario_thread_reaction_and_edit_are_served_as_sent() -> None:
    hs = frozen_homeserver()
    hs.load_fixture(document(), "relations.json")
    async with client_for(hs) as client:
        alice = Account(client, "@alice:localhost", "alice_token", "")
        root = await alice.call("GET", f"/rooms/{ROOM}/event/$root")
        assert root["unsigned"]["m.relations"]["m.thread"]["count"] == 1
        typo = await alice.call("GET", f"/rooms/{ROOM}/event/$typo")
        assert typo["unsigned"]["m.relations"]["m.replace"]["content"]["body"] == "* the end"
        reactions = await alice.call(
            "GET", f"/rooms/{ROOM}/relations/$root/m.annotation", prefix=V1
        )
        assert [e["content"]["m.relates_to"]["key"] for e in reactions["chunk"]] == ["👍"]
        exported = (await client.get("/_mock/export")).json()
    # An export loads back to the same relations.
    again = frozen_homeserver()
    again.load_fixture(exported, "export.json")
    async with client_for(again) as client:
        alice = Account(client, "@alice:localhost", "alice_token", "")
        threads = await alice.call("GET", f"/rooms/{ROOM}/threads", prefix=V1)
        assert [e["event_id"] for e in threads["chunk"]] == ["$root"]
        assert (await alice.call("GET", f"/rooms/{ROOM}/event/$typo"))["unsigned"]["m.relations"]


@pytest.mark.parametrize(
    ("path", "change", "problem"),
    [
        ('rooms[0].timeline[1].content["m.relates_to"].event_id', ("timeline", 1, "$nowhere"),
         "not an earlier event of this room"),
        ('rooms[0].timeline[1].content["m.relates_to"].event_id', ("timeline", 1, "$reply"),
         "not an earlier event of this room"),
        ('rooms[0].timeline[2].content["m.relates_to"]', ("key", 2, None), "needs a string 'key'"),
        ('rooms[0].timeline[5].content["m.relates_to"]["m.in_reply_to"].event_id',
         ("reply", 5, "$later"), "not an earlier event of this room"),
        ("rooms[0].receipts[0].thread_id", ("receipt", 0, "main"), "not in thread main"),
    ],
)
def test_a_bad_reference_names_its_path_and_loads_nothing(
    path: str, change: tuple[str, int, Any], problem: str
) -> None:
    hs = frozen_homeserver()
    broken = copy.deepcopy(document())
    room = broken["rooms"][0]
    what, index, value = change
    if what == "timeline":
        room["timeline"][index]["content"]["m.relates_to"]["event_id"] = value
    elif what == "key":
        del room["timeline"][index]["content"]["m.relates_to"]["key"]
    elif what == "reply":
        room["timeline"][index]["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] = value
    else:
        room["receipts"][index]["thread_id"] = value
    before = snapshot(hs.store)
    with pytest.raises(ScenarioError) as refused:
        hs.load_fixture(broken, "relations.json")
    assert refused.value.path == path
    assert problem in refused.value.problem
    assert snapshot(hs.store) == before


def test_a_thread_cannot_start_from_a_relation_nor_react_twice() -> None:
    broken = copy.deepcopy(document())
    timeline = broken["rooms"][0]["timeline"]
    timeline.append({"type": "m.room.message", "sender": "@alice:localhost",
                     "content": message("nested", **{"m.relates_to": {"rel_type": "m.thread",
                                                                       "event_id": "$reply"}})})
    with pytest.raises(ScenarioError, match="cannot start a thread"):
        frozen_homeserver().load_fixture(broken, "relations.json")
    broken = copy.deepcopy(document())
    broken["rooms"][0]["timeline"].append(copy.deepcopy(broken["rooms"][0]["timeline"][2]))
    with pytest.raises(ScenarioError, match="already annotated"):
        frozen_homeserver().load_fixture(broken, "relations.json")


async def test_the_demo_shows_a_thread_and_reactions() -> None:
    hs = frozen_homeserver()
    hs.load_fixture_file(FIXTURES / "demo.json")
    async with client_for(hs) as client:
        alice = Account(client, "@alice:localhost", "alice_token", "")
        lobby = "!lobby:localhost"
        threads = await alice.call("GET", f"/rooms/{lobby}/threads", prefix=V1)
        root = threads["chunk"][0]
        assert root["content"]["body"] == "Release notes are up. Shall we ship on Friday?"
        summary = root["unsigned"]["m.relations"]["m.thread"]
        assert summary["count"] == 2
        assert summary["latest_event"]["content"]["body"] == "QA signed off this morning."
        rockets = await alice.call(
            "GET", f"/rooms/{lobby}/relations/$demo-release/m.annotation/m.reaction", prefix=V1
        )
        assert [e["content"]["m.relates_to"]["key"] for e in rockets["chunk"]] == ["🚀", "🚀"]
        timeline = (await alice.sync())["rooms"]["join"][lobby]["timeline"]
        bundled = next(e for e in timeline["events"] if e["event_id"] == "$demo-release")
        assert bundled["unsigned"]["m.relations"]["m.thread"]["current_user_participated"] is False

"""Relations, threads, edits and reactions through HTTP, in process and over a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.sliding import SLIDING_SYNC
from tests.snapshot import snapshot
from tests.support import Account, assert_error, register

V1 = "/_matrix/client/v1"


@pytest.fixture(params=["in_process", "socket"])
def transport(request: pytest.FixtureRequest, hs: Homeserver) -> Iterator[str]:
    """Each test runs against the ASGI app in process and against uvicorn on a socket."""
    if request.param == "in_process":
        yield ""
        return
    running = ThreadedServer(hs).start()
    try:
        yield running.base_url
    finally:
        running.stop()


@pytest.fixture
def hs() -> Homeserver:
    return Homeserver.create(ServerConfig(port=0))


@pytest.fixture
async def client(hs: Homeserver, transport: str) -> AsyncIterator[httpx.AsyncClient]:
    if transport:
        async with httpx.AsyncClient(base_url=transport, timeout=30) as live:
            yield live
        return
    asgi = httpx.ASGITransport(app=create_app(homeserver=hs))
    async with httpx.AsyncClient(transport=asgi, base_url="http://localhost:8008") as local:
        yield local


def thread(root: str, body: str) -> dict[str, Any]:
    return {"msgtype": "m.text", "body": body, "m.relates_to": {"rel_type": "m.thread", "event_id": root}}


def reaction(target: str, key: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}}


def edit(target: str, body: str) -> dict[str, Any]:
    return {
        "msgtype": "m.text",
        "body": f"* {body}",
        "m.new_content": {"msgtype": "m.text", "body": body},
        "m.relates_to": {"rel_type": "m.replace", "event_id": target},
    }


async def relations(account: Account, room: str, path: str, **query: Any) -> dict[str, Any]:
    return await account.call("GET", f"/rooms/{room}/relations/{path}", params=query, prefix=V1)  # type: ignore[no-any-return]


async def threads(account: Account, room: str, **query: Any) -> dict[str, Any]:
    return await account.call("GET", f"/rooms/{room}/threads", params=query, prefix=V1)  # type: ignore[no-any-return]


async def event(account: Account, room: str, event_id: str) -> dict[str, Any]:
    return await account.call("GET", f"/rooms/{room}/event/{event_id}")  # type: ignore[no-any-return]


@pytest.fixture
async def room(alice: Account, bob: Account, carol: Account) -> str:
    room_id = await alice.create_room(preset="public_chat")
    await bob.join(room_id)
    await carol.join(room_id)
    return room_id


async def test_relations_page_newest_first_with_tokens_like_messages(
    alice: Account, bob: Account, room: str
) -> None:
    root = await alice.send(room, "root")
    replies = [await bob.send(room, thread(root, f"reply {n}"), event_type="m.room.message") for n in range(7)]
    first = await relations(alice, room, root, limit=3)
    assert [e["event_id"] for e in first["chunk"]] == replies[:-4:-1]
    assert "prev_batch" not in first
    second = await relations(alice, room, root, limit=3, **{"from": first["next_batch"]})
    assert [e["event_id"] for e in second["chunk"]] == replies[3:0:-1]
    assert second["prev_batch"] == first["next_batch"]
    last = await relations(alice, room, root, limit=3, **{"from": second["next_batch"]})
    assert [e["event_id"] for e in last["chunk"]] == replies[:1]
    assert "next_batch" not in last
    forwards = await relations(alice, room, root, dir="f", limit=5)
    assert [e["event_id"] for e in forwards["chunk"]] == replies[:5]
    rest = await relations(alice, room, root, dir="f", **{"from": forwards["next_batch"]})
    assert [e["event_id"] for e in rest["chunk"]] == replies[5:]
    # A /messages token works as a boundary too: nothing related lies after the newest.
    newest = (await alice.messages(room, dir="b", limit=1))["start"]
    assert (await relations(alice, room, root, dir="f", **{"from": newest}))["chunk"] == []
    # ...and `to` stops a page at a boundary.
    bounded = await relations(alice, room, root, limit=10, to=first["next_batch"])
    assert [e["event_id"] for e in bounded["chunk"]] == replies[:-4:-1]


async def test_relations_filter_by_type_and_recurse_three_deep(
    alice: Account, bob: Account, room: str
) -> None:
    root = await alice.send(room, "root")
    reply = await bob.send(room, thread(root, "in thread"))
    thumbs = await alice.send(room, reaction(reply, "👍"), event_type="m.reaction")
    on_root = await bob.send(room, reaction(root, "🎉"), event_type="m.reaction")
    everything = await relations(alice, room, root)
    assert [e["event_id"] for e in everything["chunk"]] == [on_root, reply]
    assert "recursion_depth" not in everything
    annotations = await relations(alice, room, f"{root}/m.annotation")
    assert [e["event_id"] for e in annotations["chunk"]] == [on_root]
    assert (await relations(alice, room, f"{root}/m.annotation/m.room.message"))["chunk"] == []
    deep = await relations(alice, room, root, recurse="true")
    assert [e["event_id"] for e in deep["chunk"]] == [on_root, thumbs, reply]
    assert deep["recursion_depth"] == 3
    # A filter applies at every level: the reaction hangs off a reply the filter drops.
    threaded = await relations(alice, room, f"{root}/m.thread", recurse="true")
    assert [e["event_id"] for e in threaded["chunk"]] == [reply]


async def test_relations_refuse_bad_requests(
    hs: Homeserver, alice: Account, bob: Account, client: httpx.AsyncClient, room: str
) -> None:
    root = await alice.send(room, "root")
    outsider = await register(client, "dave")
    base = f"{V1}/rooms/{room}/relations"
    for query, status, errcode in [
        ({"dir": "sideways"}, 400, "M_INVALID_PARAM"),
        ({"limit": "-1"}, 400, "M_INVALID_PARAM"),
        ({"from": "t99999-1_0_0"}, 400, "M_INVALID_PARAM"),
        ({"recurse": "maybe"}, 400, "M_INVALID_PARAM"),
    ]:
        response = await client.get(f"{base}/{root}", params=query, headers=alice.headers)
        assert_error(response, status, errcode)
    assert_error(await client.get(f"{base}/$nope", headers=alice.headers), 404, "M_NOT_FOUND")
    assert_error(await client.get(f"{base}/{root}", headers=outsider.headers), 403, "M_FORBIDDEN")
    assert_error(await client.get(f"{base}/{root}"), 401, "M_MISSING_TOKEN")
    threads_url = f"{V1}/rooms/{room}/threads"
    assert_error(
        await client.get(threads_url, params={"include": "some"}, headers=alice.headers),
        400,
        "M_INVALID_PARAM",
    )
    assert_error(
        await client.get(threads_url, params={"from": "nonsense"}, headers=alice.headers),
        400,
        "M_INVALID_PARAM",
    )
    assert_error(await client.get(threads_url, headers=outsider.headers), 403, "M_FORBIDDEN")


async def test_sending_a_bad_relation_is_refused_and_changes_nothing(
    hs: Homeserver, alice: Account, bob: Account, client: httpx.AsyncClient, room: str
) -> None:
    root = await alice.send(room, "root")
    reply = await bob.send(room, thread(root, "a reply"))
    other_room = await alice.create_room()
    elsewhere = await alice.send(other_room, "elsewhere")
    await alice.send(room, reaction(root, "👍"), event_type="m.reaction")
    before = snapshot(hs.store)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("m.room.message", thread(reply, "thread off a thread reply"), "M_UNKNOWN"),
        ("m.room.message", thread(elsewhere, "another room"), "M_UNKNOWN"),
        ("m.room.message", thread("$unknown", "unknown parent"), "M_UNKNOWN"),
        ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": root}}, "M_UNKNOWN"),
        ("m.reaction", reaction(root, "x" * 501), "M_UNKNOWN"),
        ("m.reaction", reaction(root, "👍"), "M_DUPLICATE_ANNOTATION"),
    ]
    for event_type, content, errcode in cases:
        response = await client.put(
            f"/_matrix/client/v3/rooms/{room}/send/{event_type}/bad{len(errcode)}{id(content)}",
            json=content,
            headers=alice.headers,
        )
        assert_error(response, 400, errcode)
    assert snapshot(hs.store) == before


async def test_thread_bundle_everywhere_an_event_is_served(
    alice: Account, bob: Account, carol: Account, room: str
) -> None:
    root = await alice.send(room, "root")
    await bob.send(room, thread(root, "first"))
    latest = await bob.send(room, thread(root, "second"))
    after = await carol.send(room, "after the thread")
    expected = {"count": 2, "latest_event": latest}

    def summary(served: dict[str, Any]) -> dict[str, Any]:
        found = served["unsigned"]["m.relations"]["m.thread"]
        return {"count": found["count"], "latest_event": found["latest_event"]["event_id"],
                "participated": found["current_user_participated"]}

    for viewer, participated in ((alice, True), (bob, True), (carol, False)):
        want = {**expected, "participated": participated}
        assert summary(await event(viewer, room, root)) == want
        page = await viewer.messages(room, dir="b", limit=10)
        assert summary(next(e for e in page["chunk"] if e["event_id"] == root)) == want
        context = await viewer.call("GET", f"/rooms/{room}/context/{after}", params={"limit": 10})
        assert summary(next(e for e in context["events_before"] if e["event_id"] == root)) == want
        listed = await threads(viewer, room)
        assert [summary(e) for e in listed["chunk"]] == [want]
    # The latest event is served as the event itself is, with room_id, and a reply in
    # the thread has no m.thread of its own (it cannot be a root).
    served = (await event(carol, room, root))["unsigned"]["m.relations"]["m.thread"]["latest_event"]
    assert served["room_id"] == room and served["content"]["body"] == "second"
    assert "m.relations" not in (await event(carol, room, latest))["unsigned"]


async def test_threads_ordered_by_activity_paged_and_filtered_by_participation(
    alice: Account, bob: Account, carol: Account, room: str
) -> None:
    roots = [await alice.send(room, f"root {n}") for n in range(3)]
    await bob.send(room, thread(roots[0], "on 0"))
    await carol.send(room, thread(roots[1], "on 1"))
    await bob.send(room, thread(roots[2], "on 2"))
    await carol.send(room, thread(roots[0], "on 0 again"))
    await alice.send(room, "a root without thread")
    first = await threads(bob, room, limit=2)
    assert [e["event_id"] for e in first["chunk"]] == [roots[0], roots[2]]
    rest = await threads(bob, room, limit=2, **{"from": first["next_batch"]})
    assert [e["event_id"] for e in rest["chunk"]] == [roots[1]]
    assert "next_batch" not in rest
    mine = await threads(bob, room, include="participated")
    assert [e["event_id"] for e in mine["chunk"]] == [roots[0], roots[2]]
    assert (await threads(carol, room, include="participated"))["chunk"][1]["event_id"] == roots[1]
    assert len((await threads(alice, room, include="participated"))["chunk"]) == 3


async def test_edits_bundle_the_latest_valid_replacement_and_keep_the_content(
    hs: Homeserver, alice: Account, bob: Account, room: str
) -> None:
    hs.clock.freeze()
    original = await alice.send(room, "I like cake")
    await alice.send(room, edit(original, "I like chocolate cake"))
    hs.clock.advance(1)
    newest = await alice.send(room, edit(original, "I like lemon cake"))
    hs.clock.advance(1)
    await bob.send(room, edit(original, "bob may not edit alice's message"))
    await alice.send(room, {"msgtype": "m.text", "body": "no new content",
                            "m.relates_to": {"rel_type": "m.replace", "event_id": original}})
    served = await event(bob, room, original)
    assert served["content"]["body"] == "I like cake"
    replace = served["unsigned"]["m.relations"]["m.replace"]
    assert replace["event_id"] == newest
    assert replace["content"]["m.new_content"]["body"] == "I like lemon cake"
    # An edit gets no bundle of its own, and redacting the newest edit reverts to the one before.
    assert "m.relations" not in (await event(bob, room, newest))["unsigned"]
    await alice.call("PUT", f"/rooms/{room}/redact/{newest}/r1", json={})
    served = await event(bob, room, original)
    assert served["unsigned"]["m.relations"]["m.replace"]["content"]["m.new_content"]["body"] == (
        "I like chocolate cake"
    )
    # Redacting the original drops m.replace altogether.
    await alice.call("PUT", f"/rooms/{room}/redact/{original}/r2", json={})
    assert "m.relations" not in (await event(bob, room, original))["unsigned"]


async def test_edits_at_the_same_time_are_ordered_by_event_id(
    hs: Homeserver, alice: Account, room: str
) -> None:
    hs.clock.freeze()
    original = await alice.send(room, "draft")
    edits = [await alice.send(room, edit(original, f"version {n}")) for n in range(3)]
    served = await event(alice, room, original)
    assert served["unsigned"]["m.relations"]["m.replace"]["event_id"] == max(edits)


async def test_reactions_are_listed_not_bundled_and_a_redaction_removes_one(
    alice: Account, bob: Account, carol: Account, room: str
) -> None:
    message = await alice.send(room, "react to me")
    thumbs = await bob.send(room, reaction(message, "👍"), event_type="m.reaction")
    await carol.send(room, reaction(message, "👍"), event_type="m.reaction")
    reference = await carol.send(room, {"body": "see above", "msgtype": "m.text",
                                        "m.relates_to": {"rel_type": "m.reference", "event_id": message}})
    served = await event(alice, room, message)
    assert served["unsigned"]["m.relations"] == {"m.reference": {"chunk": [{"event_id": reference}]}}
    listed = await relations(alice, room, f"{message}/m.annotation/m.reaction")
    assert len(listed["chunk"]) == 2
    await bob.call("PUT", f"/rooms/{room}/redact/{thumbs}/r1", json={})
    listed = await relations(alice, room, f"{message}/m.annotation/m.reaction")
    assert [e["sender"] for e in listed["chunk"]] == [carol.user_id]
    # The redacted reaction no longer counts as bob's: he may react the same way again.
    await bob.send(room, reaction(message, "👍"), event_type="m.reaction")


async def test_a_redacted_thread_root_keeps_its_thread_readable(
    alice: Account, bob: Account, room: str
) -> None:
    root = await alice.send(room, "root")
    reply = await bob.send(room, thread(root, "reply"))
    await alice.call("PUT", f"/rooms/{room}/redact/{root}/r1", json={})
    assert [e["event_id"] for e in (await relations(bob, room, f"{root}/m.thread"))["chunk"]] == [reply]
    listed = await threads(bob, room)
    assert [e["event_id"] for e in listed["chunk"]] == [root]
    assert listed["chunk"][0]["content"] == {}
    assert listed["chunk"][0]["unsigned"]["m.relations"]["m.thread"]["count"] == 1
    # Redacting the only reply ends the thread.
    await bob.call("PUT", f"/rooms/{room}/redact/{reply}/r2", json={})
    assert (await threads(bob, room))["chunk"] == []
    assert "m.relations" not in (await event(bob, room, root))["unsigned"]


async def test_sync_bundles_limited_timelines_only_and_never_resends_the_root(
    hs: Homeserver, alice: Account, bob: Account, carol: Account, room: str
) -> None:
    root = await alice.send(room, "root")
    await bob.send(room, thread(root, "reply"))
    for n in range(3):
        await alice.send(room, f"filler {n}")
    limited = '{"room":{"timeline":{"limit":5}}}'
    hs.store.clock.freeze()  # both answers in one millisecond: the shared encodings apply
    flags = {}
    for viewer in (bob, carol):
        body = await viewer.sync(filter=limited)
        timeline = body["rooms"]["join"][room]["timeline"]
        assert timeline["limited"] is True
        served = next(e for e in timeline["events"] if e["event_id"] == root)
        flags[viewer.user_id] = served["unsigned"]["m.relations"]["m.thread"]["current_user_participated"]
        viewer.next_batch = body["next_batch"]
    assert flags == {bob.user_id: True, carol.user_id: False}
    seed = await carol.seed_sync(filter=limited)
    seed_root = seed["room_map"][room]["event_map"][root]
    assert seed_root["unsigned"]["m.relations"]["m.thread"]["count"] == 1
    whole = await carol.sync(filter='{"room":{"timeline":{"limit":50}}}')
    unlimited = whole["rooms"]["join"][room]["timeline"]
    assert unlimited["limited"] is False
    assert all("m.relations" not in e["unsigned"] for e in unlimited["events"])
    # A new reply comes alone: the root it changes is not sent again.
    reply = await carol.send(room, thread(root, "carol joins in"))
    later = await carol.sync(since=whole["next_batch"], filter=limited)
    assert [e["event_id"] for e in later["rooms"]["join"][room]["timeline"]["events"]] == [reply]


async def test_sliding_sync_bundles_a_limited_timeline(
    alice: Account, bob: Account, carol: Account, room: str
) -> None:
    root = await alice.send(room, "root")
    await bob.send(room, thread(root, "reply"))
    await alice.send(room, "after")
    body = {"lists": {"all": {"ranges": [[0, 9]], "timeline_limit": 3, "required_state": []}}}
    for viewer, participated in ((bob, True), (carol, False)):
        answer = await viewer.call("POST", SLIDING_SYNC, json=body, prefix="")
        entry = answer["rooms"][room]
        assert entry["limited"] is True
        served = next(e for e in entry["timeline"] if e["event_id"] == root)
        summary = served["unsigned"]["m.relations"]["m.thread"]
        assert (summary["count"], summary["current_user_participated"]) == (1, participated)


async def test_thread_receipts_and_unread_thread_notifications(
    client: httpx.AsyncClient, alice: Account, bob: Account, room: str
) -> None:
    root = await bob.send(room, "bob's root")
    await alice.send(room, thread(root, "one"))
    in_thread = await alice.send(room, thread(root, "two"))
    main = await alice.send(room, "in the main timeline")
    apart = '{"room":{"timeline":{"unread_thread_notifications":true}}}'

    async def counts(filter_text: str | None = None) -> tuple[Any, Any]:
        joined = (await bob.sync(filter=filter_text))["rooms"]["join"][room]
        return joined["unread_notifications"], joined.get("unread_thread_notifications")

    assert await counts() == ({"notification_count": 3, "highlight_count": 0}, None)
    assert await counts(apart) == (
        {"notification_count": 1, "highlight_count": 0},
        {root: {"notification_count": 2, "highlight_count": 0}},
    )
    receipt = f"/rooms/{room}/receipt/m.read"
    await bob.call("POST", f"{receipt}/{in_thread}", json={"thread_id": root})
    assert await counts(apart) == ({"notification_count": 1, "highlight_count": 0}, None)
    assert await counts() == ({"notification_count": 1, "highlight_count": 0}, None)
    await bob.call("POST", f"{receipt}/{main}", json={"thread_id": "main"})
    assert await counts(apart) == ({"notification_count": 0, "highlight_count": 0}, None)
    # A receipt says which thread it is in, and its event must be in that thread.
    for event_id, body, errcode in [
        (in_thread, {"thread_id": "main"}, "M_INVALID_PARAM"),
        (main, {"thread_id": root}, "M_INVALID_PARAM"),
        (main, {"thread_id": ""}, "M_INVALID_PARAM"),
        (main, {"thread_id": 5}, "M_INVALID_PARAM"),
    ]:
        response = await client.post(
            f"/_matrix/client/v3{receipt}/{event_id}", json=body, headers=bob.headers
        )
        assert_error(response, 400, errcode)
    fully_read = await client.post(
        f"/_matrix/client/v3/rooms/{room}/receipt/m.fully_read/{main}",
        json={"thread_id": "main"},
        headers=bob.headers,
    )
    assert_error(fully_read, 400, "M_INVALID_PARAM")
    # The sync shows each receipt with its thread id.
    receipts = [
        e for e in (await bob.sync())["rooms"]["join"][room]["ephemeral"]["events"]
        if e["type"] == "m.receipt"
    ]
    assert receipts[0]["content"][in_thread]["m.read"][bob.user_id]["thread_id"] == root
    assert receipts[0]["content"][main]["m.read"][bob.user_id]["thread_id"] == "main"
    # The root itself is in the main timeline and may be read in its thread too.
    await bob.call("POST", f"{receipt}/{root}", json={"thread_id": root})
    await bob.call("POST", f"{receipt}/{root}", json={"thread_id": "main"})


async def test_edits_do_not_notify(alice: Account, bob: Account, room: str) -> None:
    original = await alice.send(room, "typo")
    await alice.send(room, edit(original, "fixed"))
    joined = (await bob.sync())["rooms"]["join"][room]
    assert joined["unread_notifications"]["notification_count"] == 1


async def test_relations_and_threads_follow_history_visibility(
    alice: Account, bob: Account, carol: Account
) -> None:
    """With ``joined`` history, what was sent while bob was not in the room is not his to
    list, as in /messages; a stranger peeking into a world-readable room lists what was sent
    while it was world-readable."""
    room_id = await alice.create_room(preset="public_chat")
    await alice.put_state(room_id, "m.room.history_visibility", {"history_visibility": "joined"})
    hidden_root = await alice.send(room_id, "a root before bob")
    await alice.send(room_id, thread(hidden_root, "a reply before bob"))
    await bob.join(room_id)
    root = await alice.send(room_id, "a root bob sees")
    await bob.leave(room_id)
    hidden_reply = await alice.send(room_id, thread(root, "a reply while bob was away"))
    await bob.join(room_id)
    reply = await alice.send(room_id, thread(root, "a reply bob sees"))
    listed = await relations(bob, room_id, root)
    assert [e["event_id"] for e in listed["chunk"]] == [reply]
    assert hidden_reply in [e["event_id"] for e in (await relations(alice, room_id, root))["chunk"]]
    response = await bob.client.get(
        f"{V1}/rooms/{room_id}/relations/{hidden_root}", headers=bob.headers
    )
    assert_error(response, 404, "M_NOT_FOUND")
    assert hidden_root not in [e["event_id"] for e in (await threads(bob, room_id))["chunk"]]
    assert hidden_root in [e["event_id"] for e in (await threads(alice, room_id))["chunk"]]

    await alice.put_state(
        room_id, "m.room.history_visibility", {"history_visibility": "world_readable"}
    )
    public_root = await alice.send(room_id, "a root anyone may read")
    public_reply = await alice.send(room_id, thread(public_root, "a public reply"))
    peeked = await relations(carol, room_id, public_root)
    assert [e["event_id"] for e in peeked["chunk"]] == [public_reply]
    assert [e["event_id"] for e in (await threads(carol, room_id))["chunk"]] == [public_root]
    response = await carol.client.get(f"{V1}/rooms/{room_id}/relations/{root}", headers=carol.headers)
    assert_error(response, 404, "M_NOT_FOUND")

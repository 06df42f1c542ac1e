"""The endpoints SDKs call around their sync loop, in the shapes they accept."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.support import V3, Account, assert_error

VERSIONS = "/_matrix/client/versions"


async def test_versions_list_r0_6_1_and_every_v1_from_1_1(client: httpx.AsyncClient) -> None:
    body = (await client.get(VERSIONS)).json()
    versions = body["versions"]
    assert "r0.6.1" in versions
    minors = sorted(int(v.split(".")[1]) for v in versions if v.startswith("v1."))
    assert minors == list(range(1, minors[-1] + 1)) and minors[-1] >= 16  # use_state_after
    assert isinstance(body["unstable_features"], dict)


async def test_well_known_points_at_this_server(client: httpx.AsyncClient) -> None:
    body = (await client.get("/.well-known/matrix/client")).json()
    assert body["m.homeserver"]["base_url"].startswith("http")


async def test_capabilities_name_room_versions(client: httpx.AsyncClient, alice: Account) -> None:
    capabilities = (await alice.call("GET", "/capabilities"))["capabilities"]
    versions = capabilities["m.room_versions"]
    assert versions["available"][versions["default"]] == "stable"
    assert capabilities["m.change_password"] == {"enabled": True}


@pytest.mark.parametrize("path", ["/pushrules/", "/pushrules"])
async def test_push_rules_are_synapses_defaults(alice: Account, path: str) -> None:
    rules = (await alice.call("GET", path))["global"]
    assert set(rules) == {"override", "content", "room", "sender", "underride", "postcontent"}
    ids = {kind: [r["rule_id"] for r in rules[kind]] for kind in rules}
    assert ids["override"][:4] == [
        ".m.rule.master",
        ".m.rule.suppress_notices",
        ".m.rule.invite_for_me",
        ".m.rule.member_event",
    ]
    assert {".m.rule.is_user_mention", ".m.rule.is_room_mention", ".m.rule.tombstone",
            ".m.rule.reaction", ".m.rule.suppress_edits"} <= set(ids["override"])
    assert ids["content"] == [".m.rule.contains_user_name"]
    assert ids["underride"] == [
        ".m.rule.call",
        ".m.rule.encrypted_room_one_to_one",
        ".m.rule.room_one_to_one",
        ".m.rule.message",
        ".m.rule.encrypted",
        ".im.vector.jitsi",
    ]
    for kind in ("override", "underride"):
        for rule in rules[kind]:
            assert rule["default"] is True and isinstance(rule["enabled"], bool)
            assert isinstance(rule["conditions"], list) and isinstance(rule["actions"], list)
    invite = next(r for r in rules["override"] if r["rule_id"] == ".m.rule.invite_for_me")
    assert {"kind": "event_match", "key": "state_key", "pattern": alice.user_id} in invite[
        "conditions"
    ]
    assert rules["content"][0]["pattern"] == "alice"


async def test_push_rules_need_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(f"{V3}/pushrules/"), 401, "M_MISSING_TOKEN")


async def test_devices_carry_every_key_nio_requires(alice: Account) -> None:
    devices = (await alice.call("GET", "/devices"))["devices"]
    assert devices == [
        {
            "device_id": alice.device_id,
            "display_name": None,
            "last_seen_ip": None,
            "last_seen_ts": devices[0]["last_seen_ts"],
        }
    ]
    assert isinstance(devices[0]["last_seen_ts"], int)
    await alice.call("PUT", f"/devices/{alice.device_id}", json={"display_name": "Laptop"})
    device = await alice.call("GET", f"/devices/{alice.device_id}")
    assert device["display_name"] == "Laptop" and "last_seen_ip" in device


# -- account data and tags --------------------------------------------------------------------


async def test_account_data_round_trip(alice: Account) -> None:
    path = f"/user/{alice.user_id}/account_data/org.example.settings"
    await alice.call("GET", path, expect=404)
    assert await alice.call("PUT", path, json={"theme": "dark"}) == {}
    assert await alice.call("GET", path) == {"theme": "dark"}


async def test_room_account_data_round_trip(alice: Account) -> None:
    room = await alice.create_room()
    path = f"/user/{alice.user_id}/rooms/{room}/account_data/org.example.draft"
    await alice.call("PUT", path, json={"text": "half a thought"})
    assert await alice.call("GET", path) == {"text": "half a thought"}
    global_path = f"/user/{alice.user_id}/account_data/org.example.draft"
    await alice.call("GET", global_path, expect=404)


async def test_account_data_of_another_user_is_forbidden(alice: Account, bob: Account) -> None:
    body = await alice.call(
        "PUT", f"/user/{bob.user_id}/account_data/x.y", json={}, expect=403
    )
    assert body["errcode"] == "M_FORBIDDEN"


async def test_fully_read_is_set_through_read_markers_only(alice: Account) -> None:
    room = await alice.create_room()
    path = f"/user/{alice.user_id}/rooms/{room}/account_data/m.fully_read"
    body = await alice.call("PUT", path, json={"event_id": "$x"}, expect=400)
    assert body["errcode"] == "M_BAD_JSON"


async def test_tags_put_get_delete(alice: Account) -> None:
    room = await alice.create_room()
    tags = f"/user/{alice.user_id}/rooms/{room}/tags"
    assert await alice.call("GET", tags) == {"tags": {}}
    await alice.call("PUT", f"{tags}/m.favourite", json={"order": 0.25})
    await alice.call("PUT", f"{tags}/u.work", json={})
    assert await alice.call("GET", tags) == {"tags": {"m.favourite": {"order": 0.25}, "u.work": {}}}
    await alice.call("DELETE", f"{tags}/m.favourite")
    assert await alice.call("GET", tags) == {"tags": {"u.work": {}}}
    body = await alice.call("PUT", f"{tags}/bad", json={"order": "first"}, expect=400)
    assert body["errcode"] == "M_BAD_JSON"


# -- keys -------------------------------------------------------------------------------------


async def test_keys_upload_query_claim(alice: Account, bob: Account) -> None:
    device_keys = {
        "user_id": alice.user_id,
        "device_id": alice.device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {f"curve25519:{alice.device_id}": "c", f"ed25519:{alice.device_id}": "e"},
        "signatures": {},
    }
    uploaded = await alice.call(
        "POST",
        "/keys/upload",
        json={"device_keys": device_keys, "one_time_keys": {"signed_curve25519:K1": {"key": "k"}}},
    )
    assert uploaded == {"one_time_key_counts": {"signed_curve25519": 1}}
    queried = await bob.call("POST", "/keys/query", json={"device_keys": {alice.user_id: []}})
    assert queried["device_keys"] == {alice.user_id: {alice.device_id: device_keys}}
    assert queried["failures"] == {}
    claimed = await bob.call(
        "POST",
        "/keys/claim",
        json={"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}},
    )
    assert claimed["one_time_keys"] == {
        alice.user_id: {alice.device_id: {"signed_curve25519:K1": {"key": "k"}}}
    }
    assert (await alice.call("POST", "/keys/upload", json={}))["one_time_key_counts"] == {
        "signed_curve25519": 0
    }


async def test_keys_query_needs_device_keys(alice: Account) -> None:
    body = await alice.call("POST", "/keys/query", json={}, expect=400)
    assert body["errcode"] == "M_MISSING_PARAM"


async def test_send_to_device_needs_messages(alice: Account) -> None:
    body = await alice.call("PUT", "/sendToDevice/m.test/t1", json={}, expect=400)
    assert body["errcode"] == "M_MISSING_PARAM"


# -- directory and context --------------------------------------------------------------------


async def test_alias_put_get_join_delete(alice: Account, bob: Account) -> None:
    room = await alice.create_room(preset="public_chat")
    alias = quote("#lobby:localhost", safe="")
    await alice.call("PUT", f"/directory/room/{alias}", json={"room_id": room})
    assert (await bob.call("GET", f"/directory/room/{alias}"))["room_id"] == room
    assert (await bob.call("POST", f"/join/{alias}", json={}))["room_id"] == room
    assert room in (await bob.sync())["rooms"]["join"]
    await alice.call("DELETE", f"/directory/room/{alias}")
    body = await bob.call("GET", f"/directory/room/{alias}", expect=404)
    assert body["errcode"] == "M_NOT_FOUND"


async def test_context_has_the_fields_sdks_read(alice: Account) -> None:
    room = await alice.create_room()
    before = await alice.send(room, "before")
    middle = await alice.send(room, "middle")
    after = await alice.send(room, "after")
    body = await alice.call("GET", f"/rooms/{room}/context/{middle}", params={"limit": 2})
    assert body["event"]["event_id"] == middle
    assert [e["event_id"] for e in body["events_before"]] == [before]
    assert [e["event_id"] for e in body["events_after"]] == [after]
    assert isinstance(body["start"], str) and isinstance(body["end"], str)
    assert all("room_id" in e for e in body["state"])

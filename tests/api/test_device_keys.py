"""One-time and fallback keys: claims take a one-time key, then the fallback key; counts."""

from __future__ import annotations

from typing import Any

from mockserver.homeserver import Homeserver
from tests.api.e2ee_support import device_keys, new_key, refused
from tests.support import Account

ALG = "signed_curve25519"


async def claim(claimer: Account, owner: Account) -> dict[str, Any]:
    body = {"one_time_keys": {owner.user_id: {owner.device_id: ALG}}}
    claimed = await claimer.call("POST", "/keys/claim", json=body)
    return claimed["one_time_keys"].get(owner.user_id, {}).get(owner.device_id, {})  # type: ignore[no-any-return]


async def keys_in_sync(account: Account) -> tuple[dict[str, int], list[str]]:
    body = await account.sync()
    return body["device_one_time_keys_count"], body["device_unused_fallback_key_types"]


async def test_claims_take_one_time_keys_then_the_fallback_key(alice: Account, bob: Account) -> None:
    upload = {
        "device_keys": device_keys(bob, new_key()),
        "one_time_keys": {f"{ALG}:A": {"key": "a"}, f"{ALG}:B": {"key": "b"}},
        "fallback_keys": {f"{ALG}:F": {"key": "f", "fallback": True}},
    }
    assert await bob.call("POST", "/keys/upload", json=upload) == {"one_time_key_counts": {ALG: 2}}
    assert await keys_in_sync(bob) == ({ALG: 2}, [ALG])
    first, second = await claim(alice, bob), await claim(alice, bob)
    assert {**first, **second} == {f"{ALG}:A": {"key": "a"}, f"{ALG}:B": {"key": "b"}}
    assert await keys_in_sync(bob) == ({ALG: 0}, [ALG])
    fallback = await claim(alice, bob)
    assert fallback == {f"{ALG}:F": {"key": "f", "fallback": True}}
    assert await keys_in_sync(bob) == ({ALG: 0}, [])  # used, but still handed out
    assert await claim(alice, bob) == fallback
    # A new fallback key replaces the used one and is unused again.
    new = {"fallback_keys": {f"{ALG}:G": {"key": "g", "fallback": True}}}
    await bob.call("POST", "/keys/upload", json=new)
    assert await keys_in_sync(bob) == ({ALG: 0}, [ALG])
    assert await claim(alice, bob) == {f"{ALG}:G": {"key": "g", "fallback": True}}


async def test_the_same_fallback_key_again_keeps_it_used(alice: Account, bob: Account) -> None:
    fallback = {"fallback_keys": {f"{ALG}:F": {"key": "f", "fallback": True}}}
    await bob.call("POST", "/keys/upload", json=fallback)
    await claim(alice, bob)
    await bob.call("POST", "/keys/upload", json=fallback)
    assert await keys_in_sync(bob) == ({ALG: 0}, [])


async def test_nothing_to_claim_gives_nothing(alice: Account, bob: Account) -> None:
    assert await claim(alice, bob) == {}
    body = {"one_time_keys": {"@nobody:localhost": {"X": ALG}, bob.user_id: {"NODEVICE": ALG}}}
    assert (await alice.call("POST", "/keys/claim", json=body))["one_time_keys"] == {}


async def test_bad_uploads_are_refused_whole(hs: Homeserver, alice: Account, bob: Account) -> None:
    await alice.call("POST", "/keys/upload", json={"one_time_keys": {f"{ALG}:A": {"key": "a"}}})
    good_otk = {f"{ALG}:B": {"key": "b"}}
    for body, errcode in (
        ({"device_keys": device_keys(bob, new_key()), "one_time_keys": good_otk}, "M_INVALID_PARAM"),
        ({"device_keys": {**device_keys(alice, new_key()), "keys": "x"}, "one_time_keys": good_otk}, "M_BAD_JSON"),
        ({"one_time_keys": {**good_otk, "nocolon": {"key": "x"}}}, "M_BAD_JSON"),
        ({"one_time_keys": {**good_otk, f"{ALG}:A": {"key": "changed"}}}, "M_UNKNOWN"),
        ({"one_time_keys": good_otk, "fallback_keys": {f"{ALG}:F": 3}}, "M_BAD_JSON"),
        ({"one_time_keys": []}, "M_BAD_JSON"),
    ):
        await refused(hs, alice, "POST", "/keys/upload", body, 400, errcode)
    for body in ({"one_time_keys": {bob.user_id: {bob.device_id: 1}}}, {"one_time_keys": {bob.user_id: "x"}}):
        await refused(hs, alice, "POST", "/keys/claim", body, 400, "M_BAD_JSON")
    await refused(hs, alice, "POST", "/keys/query", {"device_keys": {bob.user_id: "x"}}, 400, "M_BAD_JSON")


async def test_query_shows_the_device_name_unsigned(alice: Account, bob: Account) -> None:
    keys = device_keys(bob, new_key())
    await bob.call("POST", "/keys/upload", json={"device_keys": keys})
    await bob.call("PUT", f"/devices/{bob.device_id}", json={"display_name": "Phone"})
    shown = (await alice.call("POST", "/keys/query", json={"device_keys": {bob.user_id: []}}))
    device = shown["device_keys"][bob.user_id][bob.device_id]
    assert device == {**keys, "unsigned": {"device_display_name": "Phone"}}

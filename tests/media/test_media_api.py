"""Uploads and downloads over HTTP: bytes, headers, limits, errors, the asynchronous pair."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from tests.media.images import image_bytes
from tests.support import Account, assert_error

UPLOAD = "/_matrix/media/v3/upload"
CREATE = "/_matrix/media/v1/create"
MEDIA = "/_matrix/client/v1/media"
LEGACY = "/_matrix/media/v3"
CSP = (
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf;"
    " style-src 'unsafe-inline'; media-src 'self'; object-src 'self';"
)
DAY_MS = 24 * 60 * 60 * 1000


async def upload(
    account: Account,
    content: bytes,
    content_type: str | None = "application/octet-stream",
    filename: str | None = None,
) -> str:
    """Upload as ``account``; the media's ``server/id`` (the ``mxc://`` without its scheme)."""
    headers = dict(account.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    query = {"filename": filename} if filename is not None else {}
    response = await account.client.post(UPLOAD, content=content, params=query, headers=headers)
    assert response.status_code == 200, response.text
    uri = response.json()["content_uri"]
    assert uri.startswith("mxc://localhost/")
    return uri.removeprefix("mxc://")


async def download(account: Account, media: str, **params: Any) -> httpx.Response:
    return await account.client.get(f"{MEDIA}/download/{media}", params=params, headers=account.headers)


async def test_an_upload_downloads_byte_for_byte_with_the_spec_headers(alice: Account, bob: Account) -> None:
    png = image_bytes("image/png", (40, 30))
    media = await upload(alice, png, "image/png", "cat.png")
    response = await download(bob, media)
    assert response.status_code == 200
    assert response.content == png
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(png))
    assert response.headers["content-disposition"] == "inline; filename=cat.png"
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["access-control-allow-origin"] == "*"


async def test_a_file_name_in_the_path_names_the_download(alice: Account) -> None:
    media = await upload(alice, b"hello", "text/plain", "a.txt")
    response = await alice.client.get(f"{MEDIA}/download/{media}/other.txt", headers=alice.headers)
    assert (response.status_code, response.content) == (200, b"hello")
    assert response.headers["content-disposition"] == "inline; filename=other.txt"


@pytest.mark.parametrize(
    ("content_type", "disposition"),
    [
        ("image/png", "inline"),
        ("text/plain; charset=utf-8", "inline"),
        ("video/mp4", "inline"),
        ("text/html", "attachment"),
        ("image/svg+xml", "attachment"),
        ("application/javascript", "attachment"),
        ("application/pdf", "attachment"),
    ],
)
async def test_only_the_spec_safe_types_are_served_inline(
    alice: Account, content_type: str, disposition: str
) -> None:
    media = await upload(alice, b"<script>alert(1)</script>", content_type)
    response = await download(alice, media)
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == disposition
    assert response.headers["content-security-policy"] == CSP


async def test_a_file_name_that_is_no_token_is_sent_rfc5987_encoded(alice: Account) -> None:
    media = await upload(alice, b"x", "text/plain", "résumé final.txt")
    response = await download(alice, media)
    assert (
        response.headers["content-disposition"]
        == "inline; filename*=utf-8''r%C3%A9sum%C3%A9%20final.txt"
    )


async def test_an_upload_without_a_type_is_served_as_octet_stream_attachment(
    alice: Account,
) -> None:
    media = await upload(alice, b"\x00\x01", content_type=None)
    response = await download(alice, media)
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == "attachment"


async def test_an_empty_upload_is_kept(alice: Account) -> None:
    media = await upload(alice, b"", "text/plain")
    response = await download(alice, media)
    assert (response.status_code, response.content) == (200, b"")


async def test_legacy_download_needs_no_token_the_authenticated_one_does(alice: Account) -> None:
    media = await upload(alice, b"public", "text/plain")
    client = alice.client
    legacy = await client.get(f"{LEGACY}/download/{media}")
    assert (legacy.status_code, legacy.content) == (200, b"public")
    assert legacy.headers["cross-origin-resource-policy"] == "cross-origin"
    assert (await client.get(f"{LEGACY}/download/{media}/x.txt")).status_code == 200
    assert_error(await client.get(f"{MEDIA}/download/{media}"), 401, "M_MISSING_TOKEN")
    assert_error(
        await client.get(f"{MEDIA}/download/{media}", headers={"Authorization": "Bearer nope"}),
        401,
        "M_UNKNOWN_TOKEN",
    )


async def test_uploading_and_the_config_need_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.post(UPLOAD, content=b"x"), 401, "M_MISSING_TOKEN")
    assert_error(await client.post(CREATE), 401, "M_MISSING_TOKEN")
    assert_error(await client.get(f"{MEDIA}/config"), 401, "M_MISSING_TOKEN")
    assert_error(await client.get(f"{LEGACY}/config"), 401, "M_MISSING_TOKEN")


async def test_unknown_media_is_not_found(alice: Account) -> None:
    client = alice.client
    for path in (
        f"{MEDIA}/download/localhost/nosuchmedia",
        f"{MEDIA}/download/elsewhere.example/nosuchmedia",
        f"{MEDIA}/download/localhost/bad.id",
        f"{MEDIA}/thumbnail/localhost/nosuchmedia?width=32&height=32",
    ):
        assert_error(await client.get(path, headers=alice.headers), 404, "M_NOT_FOUND")
    assert_error(await client.get(f"{LEGACY}/download/localhost/nosuchmedia"), 404, "M_NOT_FOUND")
    assert_error(
        await client.get(f"{LEGACY}/thumbnail/localhost/nosuchmedia?width=1&height=1"),
        404,
        "M_NOT_FOUND",
    )


async def test_the_config_gives_synapses_default_limit(alice: Account) -> None:
    for prefix in (MEDIA, LEGACY):
        response = await alice.client.get(f"{prefix}/config", headers=alice.headers)
        assert response.json() == {"m.upload.size": 50 * 1024 * 1024}


# -- limits ----------------------------------------------------------------------------


@pytest.fixture
async def limited(serve: Any) -> Account:
    """Alice on a server that takes uploads of at most 1,000 bytes."""
    from tests.support import register

    return await register(await serve(max_upload_size=1000), "alice")


async def test_the_limit_is_configurable_and_reported(limited: Account) -> None:
    response = await limited.client.get(f"{MEDIA}/config", headers=limited.headers)
    assert response.json() == {"m.upload.size": 1000}
    assert (await upload(limited, b"x" * 1000)).startswith("localhost/")


async def test_an_upload_past_the_limit_is_413_and_stores_nothing(limited: Account) -> None:
    client = limited.client
    response = await client.post(UPLOAD, content=b"x" * 1001, headers=limited.headers)
    assert_error(response, 413, "M_TOO_LARGE")
    assert (await client.get("/_mock/export")).json()["media"] == []


async def test_a_chunked_upload_past_the_limit_is_413(limited: Account) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"y" * 300

    response = await limited.client.post(UPLOAD, content=chunks(), headers=limited.headers)
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "M_TOO_LARGE")
    assert (await limited.client.get("/_mock/export")).json()["media"] == []


async def test_a_chunked_upload_within_the_limit_is_kept(limited: Account) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for index in range(3):
            yield bytes([index]) * 300

    response = await limited.client.post(UPLOAD, content=chunks(), headers=limited.headers)
    assert response.status_code == 200, response.text
    media = response.json()["content_uri"].removeprefix("mxc://")
    assert (await download(limited, media)).content == b"\x00" * 300 + b"\x01" * 300 + b"\x02" * 300


async def test_the_journal_records_an_upload_without_its_bytes(alice: Account) -> None:
    await upload(alice, b"secret bytes" * 100, "text/plain", "notes.txt")
    journal = await alice.client.get("/_mock/journal", params={"path": UPLOAD})
    [entry] = journal.json()["requests"]
    assert entry["body"] is None
    assert entry["body_size"] == 1200
    assert entry["query"] == {"filename": "notes.txt"}
    assert entry["status"] == 200


async def test_a_reset_forgets_uploads(alice: Account, client: httpx.AsyncClient) -> None:
    media = await upload(alice, b"gone soon")
    assert (await client.post("/_mock/reset", json={"fixtures": False})).status_code == 200
    assert_error(await client.get(f"{LEGACY}/download/{media}"), 404, "M_NOT_FOUND")


# -- the asynchronous pair: create, then PUT -------------------------------------------


async def create(account: Account) -> tuple[str, int]:
    response = await account.client.post(CREATE, headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["content_uri"].removeprefix("mxc://"), body["unused_expires_at"]


async def put(account: Account, media: str, content: bytes, **query: str) -> httpx.Response:
    return await account.client.put(
        f"{LEGACY}/upload/{media}",
        content=content,
        params=query,
        headers={**account.headers, "Content-Type": "text/plain"},
    )


async def test_a_created_uri_is_uploaded_once_by_its_creator(alice: Account, bob: Account) -> None:
    now = (await alice.client.get("/_mock/clock")).json()["now_ms"]
    media, expires = await create(alice)
    assert now + DAY_MS <= expires <= now + DAY_MS + 60_000
    assert_error(await download(alice, media, timeout_ms=0), 504, "M_NOT_YET_UPLOADED")
    assert_error(await put(bob, media, b"bob's"), 403, "M_FORBIDDEN")
    response = await put(alice, media, b"alice's", filename="a.txt")
    assert (response.status_code, response.json()) == (200, {})
    assert_error(await put(alice, media, b"again"), 409, "M_CANNOT_OVERWRITE_MEDIA")
    got = await download(bob, media)
    assert (got.content, got.headers["content-disposition"]) == (b"alice's", "inline; filename=a.txt")


async def test_a_put_to_an_unknown_or_expired_uri_is_not_found(alice: Account) -> None:
    assert_error(await put(alice, "localhost/neverCreated", b"x"), 404, "M_NOT_FOUND")
    assert_error(await put(alice, "elsewhere.example/neverCreated", b"x"), 404, "M_NOT_FOUND")
    media, _ = await create(alice)
    advanced = await alice.client.post("/_mock/clock/advance", json={"ms": DAY_MS})
    assert advanced.status_code == 200
    assert_error(await put(alice, media, b"late"), 404, "M_NOT_FOUND")
    assert_error(await download(alice, media, timeout_ms=0), 404, "M_NOT_FOUND")


async def test_a_put_past_the_limit_is_413_and_leaves_the_uri_pending(limited: Account) -> None:
    media, _ = await create(limited)
    assert_error(await put(limited, media, b"z" * 1001), 413, "M_TOO_LARGE")
    assert (await put(limited, media, b"z" * 10)).status_code == 200


async def test_pending_uploads_are_limited_per_user(alice: Account, bob: Account) -> None:
    for _ in range(5):
        await create(alice)
    body = assert_error(await alice.client.post(CREATE, headers=alice.headers), 429, "M_LIMIT_EXCEEDED")
    assert 0 < body["retry_after_ms"] <= DAY_MS
    await create(bob)  # bob has his own five


async def test_a_download_waits_for_the_pending_upload(alice: Account, bob: Account) -> None:
    media, _ = await create(alice)
    answers: list[httpx.Response] = []

    async def wait_for_it() -> None:
        answers.append(await download(bob, media, timeout_ms=60_000))

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(wait_for_it)
            parked = await alice.client.get(
                "/_mock/parked", params={"user_id": bob.user_id, "timeout": 30_000}
            )
            assert parked.json()["reached"] is True
            assert (await put(alice, media, b"worth the wait")).status_code == 200
    [answer] = answers
    assert (answer.status_code, answer.content) == (200, b"worth the wait")


async def test_a_waiting_download_gives_up_when_the_clock_passes_its_timeout(
    alice: Account, bob: Account
) -> None:
    media, _ = await create(alice)
    answers: list[httpx.Response] = []

    async def wait_for_it() -> None:
        answers.append(await download(bob, media, timeout_ms=5_000))

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(wait_for_it)
            parked = await alice.client.get(
                "/_mock/parked", params={"user_id": bob.user_id, "timeout": 30_000}
            )
            assert parked.json()["reached"] is True
            await alice.client.post("/_mock/clock/advance", json={"ms": 5_000})
    [answer] = answers
    assert_error(answer, 504, "M_NOT_YET_UPLOADED")


# -- previews --------------------------------------------------------------------------


async def test_a_preview_fetches_nothing_and_says_nothing(alice: Account) -> None:
    for prefix in (MEDIA, LEGACY):
        path = f"{prefix}/preview_url"
        response = await alice.client.get(
            path, params={"url": "https://matrix.org", "ts": 1}, headers=alice.headers
        )
        assert (response.status_code, response.json()) == (200, {})
        assert_error(await alice.client.get(path, headers=alice.headers), 400, "M_MISSING_PARAM")
        assert_error(
            await alice.client.get(path, params={"url": "file:///etc/passwd"}, headers=alice.headers),
            400,
            "M_UNKNOWN",
        )
        assert_error(await alice.client.get(path, params={"url": "https://x"}), 401, "M_MISSING_TOKEN")


def test_the_cli_sets_the_limit() -> None:
    from mockserver.cli import config_from, parser

    assert config_from(parser().parse_args([])).max_upload_size == 50 * 1024 * 1024
    args = parser().parse_args(["--max-upload-size", "1000"])
    assert config_from(args).max_upload_size == 1000
    with pytest.raises(ValueError, match="at least 1 byte"):
        config_from(parser().parse_args(["--max-upload-size", "0"]))

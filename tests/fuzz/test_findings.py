"""What the fuzz runs found, each asserted through HTTP (docs/security.md, "Fuzzing")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import V3, Account, assert_error

#: Every route that asks the user to authenticate again.
REAUTH_ROUTES = [
    ("POST", "/account/deactivate", {}),
    ("POST", "/account/password", {"new_password": "new"}),
    ("POST", "/delete_devices", {"devices": ["NOPE"]}),
    ("DELETE", "/devices/{device}", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), REAUTH_ROUTES)
@pytest.mark.parametrize(
    "auth",
    [{"type": [], "session": []}, {"type": {"a": 1}}, {"type": "m.login.password", "session": 5}],
)
async def test_auth_fields_of_the_wrong_type_are_bad_json(
    client: httpx.AsyncClient,
    alice: Account,
    method: str,
    path: str,
    body: dict[str, Any],
    auth: dict[str, Any],
) -> None:
    """Found by make fuzz-spec: a list as ``auth.type`` was a 500 (unhashable type)."""
    url = V3 + path.format(device=alice.device_id)
    response = await client.request(method, url, json={**body, "auth": auth}, headers=alice.headers)
    assert_error(response, 400, "M_BAD_JSON")
    assert (await client.get(f"{V3}/account/whoami", headers=alice.headers)).status_code == 200

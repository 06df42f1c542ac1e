"""Profiles: ``/profile/{userId}`` and its ``displayname``/``avatar_url`` fields.

Reading a profile needs no access token: the spec marks the GETs as not
requiring authentication, and Synapse serves them without one unless
``require_auth_for_profile_requests`` is set (it is off by default).
"""

from __future__ import annotations

from typing import Any

from mockserver.api import params
from mockserver.api.rooms import user_id_param
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import bad_json, forbidden, missing_param, not_found


def _profile(call: Call) -> dict[str, Any]:
    user = call.store.users.get(user_id_param(call))
    if user is None:
        raise not_found("Profile was not found")
    body: dict[str, Any] = {}
    if user.displayname is not None:
        body["displayname"] = user.displayname
    if user.avatar_url is not None:
        body["avatar_url"] = user.avatar_url
    return body


@endpoint("/profile/{user_id}", "GET", public=True)
async def get_profile(call: Call) -> Reply:
    return _profile(call)


async def _get_field(call: Call, name: str) -> Reply:
    profile = _profile(call)
    if name not in profile:
        raise not_found(f"The user has no {name}")
    return {name: profile[name]}


async def _put_field(call: Call, name: str) -> Reply:
    user_id = user_id_param(call)
    if user_id != call.user_id:
        raise forbidden("Cannot change the profile of another user")
    body = await call.json()
    if name not in body:
        # An explicit null clears the field; leaving it out is a malformed request.
        raise missing_param(f"Missing '{name}'")
    value = params.field(body, name, str)
    if value is not None and len(value) > 256:
        raise bad_json(f"'{name}' is too long")
    call.store.set_profile(user_id, **{name: value})
    return {}


@endpoint("/profile/{user_id}/displayname", "GET", public=True)
async def get_displayname(call: Call) -> Reply:
    return await _get_field(call, "displayname")


@endpoint("/profile/{user_id}/displayname", "PUT")
async def put_displayname(call: Call) -> Reply:
    return await _put_field(call, "displayname")


@endpoint("/profile/{user_id}/avatar_url", "GET", public=True)
async def get_avatar_url(call: Call) -> Reply:
    return await _get_field(call, "avatar_url")


@endpoint("/profile/{user_id}/avatar_url", "PUT")
async def put_avatar_url(call: Call) -> Reply:
    return await _put_field(call, "avatar_url")


routes = [get_profile, get_displayname, put_displayname, get_avatar_url, put_avatar_url]

"""Devices: list, show, rename, and delete them behind user-interactive auth."""

from __future__ import annotations

from mockserver.api import params
from mockserver.api.reauth import reauthenticate
from mockserver.api.routing import Call, Reply, endpoint
from mockserver.core.errors import not_found
from mockserver.core.model import Device, JsonDict


def _device_body(device: Device) -> JsonDict:
    """A Device as the spec has it: optional fields left out when unknown, never ``null``.

    matrix-nio 0.26's schema wants all four keys: it accepts the devices of a
    client that logged in with a device name (the address and time are
    always known for those), and refuses a list holding a nameless one.
    """
    body: JsonDict = {"device_id": device.device_id}
    if device.display_name is not None:
        body["display_name"] = device.display_name
    if device.last_seen_ip is not None:
        body["last_seen_ip"] = device.last_seen_ip
    if device.last_seen_ts is not None:
        body["last_seen_ts"] = device.last_seen_ts
    return body


@endpoint("/devices", "GET")
async def get_devices(call: Call) -> Reply:
    user = call.store.user(call.user_id)
    return {"devices": [_device_body(d) for d in user.devices.values()]}


@endpoint("/devices/{device_id}", "GET")
async def get_device(call: Call) -> Reply:
    device = call.store.user(call.user_id).devices.get(call.path["device_id"])
    if device is None:
        raise not_found("Unknown device")
    return _device_body(device)


@endpoint("/devices/{device_id}", "PUT")
async def put_device(call: Call) -> Reply:
    body = await call.json()
    display_name = params.field(body, "display_name", str)
    call.store.rename_device(call.user_id, call.path["device_id"], display_name)
    return {}


@endpoint("/devices/{device_id}", "DELETE")
async def delete_device(call: Call) -> Reply:
    body = await call.json()
    device_id = call.path["device_id"]
    if device_id not in call.store.user(call.user_id).devices:
        raise not_found("Unknown device")
    asked = reauthenticate(call, body, f"DELETE /devices/{device_id}")
    if asked is not None:
        return asked
    call.store.delete_devices(call.user_id, [device_id])
    return {}


@endpoint("/delete_devices", "POST")
async def post_delete_devices(call: Call) -> Reply:
    body = await call.json()
    params.required(body, "devices", list)
    device_ids = params.string_list(body, "devices")
    asked = reauthenticate(call, body, "POST /delete_devices")
    if asked is not None:
        return asked
    call.store.delete_devices(call.user_id, device_ids)
    return {}


routes = [get_devices, get_device, put_device, delete_device, post_delete_devices]

"""matrix-js-sdk 43 with Rust crypto doing Element's encryption setup against mockserver."""

from __future__ import annotations

from mockserver.server import ThreadedServer
from tests.js.runner import run_js


def test_element_flow_cross_signing_backup_and_a_second_device(server: ThreadedServer) -> None:
    result = run_js("e2ee_element_flow.mjs", server.base_url, alice="alice", bob="bob", timeout=240)
    store = server.homeserver.store
    assert result["crossSigningReady"] and result["secretStorageReady"]
    backup = store.key_backups.current("@alice:localhost")
    assert result["backupVersion"] == backup.version
    assert backup.count() >= 1
    assert result["restored"]["imported"] >= 1
    assert result["bobRead"] == result["secondRead"] == "history from before the new device"
    assert result["secondCrossSigned"] and result["secondSignedByOwner"]
    assert result["bobSeesSignedByOwner"]
    # What the server holds agrees: the second device carries alice's self-signing signature.
    second = result["secondDeviceId"]
    shown = store.query_keys("@bob:localhost", {"@alice:localhost": [second]})
    self_signing = shown["self_signing_keys"]["@alice:localhost"]
    (self_signing_id,) = self_signing["keys"]
    assert self_signing_id in shown["device_keys"]["@alice:localhost"][second]["signatures"]["@alice:localhost"]

"""Cross-signing: each user's master, self-signing and user-signing keys, and signatures.

Keys arrive through ``POST /keys/device_signing/upload``; signatures of
one's own devices, of one's own master key (by a device) and of other
users' master keys (by one's user-signing key) through
``POST /keys/signatures/upload``. Signatures are checked with real ed25519
over canonical JSON, as Synapse checks them, so a client that signs wrongly
is told so. A signature on someone else's key is shown only to its signer
(``keys/query`` of anyone else leaves it out), as in Synapse.

Nothing here knows about devices beyond a lookup of their keys, streams or
HTTP: the store writes what :meth:`CrossSigning.plan_signatures` plans.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from signedjson.key import decode_verify_key_bytes
from signedjson.sign import SignatureVerifyException, verify_signed_json
from unpaddedbase64 import decode_base64

from mockserver.core.errors import (
    M_INVALID_PARAM,
    M_INVALID_SIGNATURE,
    M_MISSING_PARAM,
    M_NOT_FOUND,
    MatrixError,
    bad_json,
)
from mockserver.core.model import JsonDict, copy_json

#: Body field of ``device_signing/upload`` -> the key's usage (and its name here).
KINDS: dict[str, str] = {
    "master_key": "master",
    "self_signing_key": "self_signing",
    "user_signing_key": "user_signing",
}

#: (user_id, key id: a device id or a cross-signing public key) -> signer -> key id -> signature
Signatures = dict[tuple[str, str], dict[str, dict[str, str]]]
DeviceKeysLookup = Callable[[str, str], "JsonDict | None"]


def public_key(key: Mapping[str, Any]) -> str:
    """The unpadded base64 ed25519 public key of a (checked) cross-signing key."""
    key_id: str = next(iter(key["keys"]))
    return key_id.split(":", 1)[1]


def verifies(signed: Mapping[str, Any], signer: str, key_id: str, public: str) -> bool:
    """Whether ``signed`` carries a valid signature by ``signer``'s key ``key_id``."""
    try:
        verify_key = decode_verify_key_bytes(key_id, decode_base64(public))
        signature = signed["signatures"][signer][key_id]
        if not isinstance(signature, str):
            return False
        verify_signed_json(dict(signed), signer, verify_key)
    except (SignatureVerifyException, KeyError, TypeError, ValueError):
        return False
    return True


def _unsigned(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}


def check_key(value: Any, user_id: str, usage: str, field: str) -> JsonDict:
    """A CrossSigningKey object of ``user_id`` with ``usage`` and one ed25519 key."""
    if not isinstance(value, dict):
        raise bad_json(f"'{field}' must be an object")
    if value.get("user_id") != user_id:
        raise MatrixError(M_INVALID_PARAM, f"'{field}' must be a key of {user_id}")
    usages = value.get("usage")
    if not isinstance(usages, list) or usage not in usages:
        raise MatrixError(M_INVALID_PARAM, f"'{field}' must have usage {usage!r}")
    keys = value.get("keys")
    if not isinstance(keys, dict) or len(keys) != 1:
        raise MatrixError(M_INVALID_PARAM, f"'{field}' must hold exactly one key")
    ((key_id, public),) = keys.items()
    if not key_id.startswith("ed25519:") or key_id != f"ed25519:{public}" or not isinstance(
        public, str
    ):
        raise MatrixError(M_INVALID_PARAM, f"'{field}' must hold one ed25519 key named by itself")
    try:
        if len(decode_base64(public)) != 32:
            raise ValueError(public)
    except ValueError:
        raise MatrixError(M_INVALID_PARAM, f"'{field}' holds no valid ed25519 key") from None
    signatures = value.get("signatures", {})
    if not isinstance(signatures, dict) or not all(
        isinstance(by_key, dict) for by_key in signatures.values()
    ):
        raise bad_json(f"'{field}.signatures' must map users to objects")
    return value


@dataclass(frozen=True, slots=True)
class SignatureWrite:
    """One signature to store: on ``target`` (user, key id), by ``signer``'s ``key_id``."""

    target: tuple[str, str]
    signer: str
    key_id: str
    signature: str
    #: The target is one of the signer's devices or own master key (all see the change).
    own: bool


class CrossSigning:
    """Every user's cross-signing keys and the signatures uploaded after them."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, JsonDict]] = {}
        self.signatures: Signatures = {}

    def key(self, user_id: str, kind: str) -> JsonDict | None:
        return self.keys.get(user_id, {}).get(kind)

    # -- device_signing/upload ------------------------------------------------------------

    def plan_upload(self, user_id: str, body: Mapping[str, Any]) -> tuple[dict[str, JsonDict], bool]:
        """The checked keys of an upload and whether it replaces keys (so needs auth).

        The self-signing and user-signing keys must be signed by the master
        key: the uploaded one, else the stored one.
        """
        new: dict[str, JsonDict] = {}
        for field, kind in KINDS.items():
            if body.get(field) is not None:
                new[kind] = check_key(body[field], user_id, kind, field)
        master = new.get("master") or self.key(user_id, "master")
        for kind in ("self_signing", "user_signing"):
            if kind not in new:
                continue
            if master is None:
                raise MatrixError(M_MISSING_PARAM, "No master key available")
            master_id = next(iter(master["keys"]))
            if not verifies(new[kind], user_id, master_id, public_key(master)):
                raise MatrixError(
                    M_INVALID_SIGNATURE, f"Invalid signature on the {kind.replace('_', '-')} key"
                )
        stored = self.keys.get(user_id, {})
        replacing = "master" in stored and any(stored.get(k) != v for k, v in new.items())
        return new, replacing

    def store_upload(self, user_id: str, new: Mapping[str, JsonDict]) -> None:
        stored = self.keys.setdefault(user_id, {})
        for kind, key in new.items():
            stored[kind] = copy_json(key)

    # -- signatures/upload ------------------------------------------------------------------

    def plan_signatures(
        self, signer: str, body: Mapping[str, Any], device_keys: DeviceKeysLookup
    ) -> tuple[list[SignatureWrite], dict[str, dict[str, JsonDict]]]:
        """The signatures of a ``signatures/upload`` to store, and the failures map."""
        writes: list[SignatureWrite] = []
        failures: dict[str, dict[str, JsonDict]] = {}
        for user_id, by_key in body.items():
            for key_id, signed in by_key.items():
                try:
                    writes.extend(self._check_signed(signer, user_id, key_id, signed, device_keys))
                except MatrixError as error:
                    failures.setdefault(user_id, {})[key_id] = error.body()
        return writes, failures

    def _check_signed(
        self,
        signer: str,
        user_id: str,
        key_id: str,
        signed: Any,
        device_keys: DeviceKeysLookup,
    ) -> list[SignatureWrite]:
        if not isinstance(signed, dict):
            raise bad_json("A signed key must be an object")
        signatures = signed.get("signatures")
        mine = signatures.get(signer) if isinstance(signatures, dict) else None
        if not isinstance(mine, dict) or not mine:
            raise MatrixError(M_INVALID_SIGNATURE, f"No signature by {signer}")
        master = self.key(user_id, "master")
        if user_id == signer and master is not None and key_id == public_key(master):
            # One's own master key, signed by one's devices.
            stored, own = master, True
            signing = {
                f"ed25519:{device_id}": device_keys(signer, device_id)
                for device_id in (k.split(":", 1)[1] for k in mine if ":" in k)
            }
            verify_keys = {
                kid: keys["keys"].get(kid)
                for kid, keys in signing.items()
                if keys is not None and isinstance(keys.get("keys"), dict)
            }
        elif user_id == signer:
            # One of one's own devices, signed by the self-signing key.
            found = device_keys(user_id, key_id)
            if found is None:
                raise MatrixError(M_NOT_FOUND, f"Unknown device {key_id}")
            stored, own = found, True
            verify_keys = self._cross_signing_key(signer, "self_signing")
        else:
            # Someone else's master key, signed by one's user-signing key.
            if master is None or key_id != public_key(master):
                raise MatrixError(M_NOT_FOUND, f"Unknown master key {key_id} of {user_id}")
            stored, own = master, False
            verify_keys = self._cross_signing_key(signer, "user_signing")
        if _unsigned(signed) != _unsigned(stored):
            raise MatrixError(M_INVALID_PARAM, "The signed key is not the one the server holds")
        known = dict(stored.get("signatures", {}).get(signer, {}))
        known.update(self.signatures.get((user_id, key_id), {}).get(signer, {}))
        writes = []
        for signing_id, signature in mine.items():
            if known.get(signing_id) == signature:
                continue  # a signature the server holds already (a key's self-signature)
            public = verify_keys.get(signing_id)
            if not isinstance(public, str) or not verifies(signed, signer, signing_id, public):
                raise MatrixError(M_INVALID_SIGNATURE, f"Invalid signature by {signing_id}")
            writes.append(SignatureWrite((user_id, key_id), signer, signing_id, signature, own))
        return writes

    def _cross_signing_key(self, user_id: str, kind: str) -> dict[str, Any]:
        key = self.key(user_id, kind)
        if key is None:
            raise MatrixError(M_MISSING_PARAM, f"No {kind.replace('_', '-')} key uploaded")
        return dict(key["keys"])

    def store_signatures(self, writes: list[SignatureWrite]) -> None:
        for write in writes:
            by_signer = self.signatures.setdefault(write.target, {})
            by_signer.setdefault(write.signer, {})[write.key_id] = write.signature

    def import_signatures(self, signer: str, signatures: Mapping[str, Any]) -> None:
        """Signatures by ``signer`` as a scenario holds them, unchecked."""
        for user_id, by_key in signatures.items():
            for key_id, by_signing_key in by_key.items():
                stored = self.signatures.setdefault((user_id, key_id), {})
                stored.setdefault(signer, {}).update(by_signing_key)

    def exported_signatures(self, signer: str) -> JsonDict:
        """The signatures ``signer`` uploaded, in the shape :meth:`import_signatures` takes."""
        found: JsonDict = {}
        for (user_id, key_id), by_signer in self.signatures.items():
            if signer in by_signer:
                found.setdefault(user_id, {})[key_id] = dict(by_signer[signer])
        return found

    def forget_device(self, user_id: str, device_id: str) -> None:
        self.signatures.pop((user_id, device_id), None)

    # -- keys/query --------------------------------------------------------------------------

    def with_signatures(
        self, key: JsonDict, user_id: str, key_id: str, querier: str
    ) -> JsonDict:
        """A copy of ``key`` with the stored signatures ``querier`` may see merged in."""
        shown: JsonDict = copy_json(key)
        extra = self.signatures.get((user_id, key_id))
        if extra:
            signatures = shown.setdefault("signatures", {})
            for signer, by_key in extra.items():
                if signer == user_id or signer == querier:
                    signatures.setdefault(signer, {}).update(by_key)
        return shown

    def query(self, user_id: str, querier: str) -> dict[str, JsonDict]:
        """``master``, ``self_signing`` and (for oneself) ``user_signing`` keys of a user."""
        found: dict[str, JsonDict] = {}
        for kind, key in self.keys.get(user_id, {}).items():
            if kind == "user_signing" and querier != user_id:
                continue
            key_id = public_key(key) if kind == "master" else next(iter(key["keys"]))
            found[kind] = self.with_signatures(key, user_id, key_id, querier)
        return found

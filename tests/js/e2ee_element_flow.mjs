// The encryption setup Element does on a new account, with js-sdk 43's Rust crypto:
// cross-signing bootstrap, secret storage with a new key backup, room keys backed up; then a
// second device of alice restores history from the backup with the recovery key and is
// cross-signed, and bob sees that device as signed by alice.
import { decodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/recovery-key.js";
import { CryptoEvent } from "matrix-js-sdk/lib/crypto-api/index.js";
import { args, client, done, login, register, start, until, waitFor, sdk } from "./harness.mjs";

const password = "secret-password";

/** The answer to a key-upload auth request: the account's password (UIA m.login.password). */
function passwordAuth(userId) {
    return async (makeRequest) => {
        await makeRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: userId }, password });
    };
}

/** Crypto callbacks that hand out one secret-storage key (as Element does after a prompt). */
function secretStorageKeyCallbacks(holder) {
    return {
        getSecretStorageKey: async ({ keys }) => {
            const keyId = Object.keys(keys).find((id) => id === holder.keyId) ?? Object.keys(keys)[0];
            return [keyId, holder.privateKey];
        },
        cacheSecretStorageKey: (keyId, _info, privateKey) => {
            holder.keyId = keyId;
            holder.privateKey = privateKey;
        },
    };
}

/**
 * Resolve with `check()`'s value once it is truthy, re-checking whenever the client syncs,
 * decrypts an event or its crypto learns of new keys (a /keys/query that ends between two
 * syncs wakes it too). Rejects after `timeoutMs`, naming `what`.
 */
async function whenReady(matrixClient, check, what, timeoutMs = 60000) {
    const events = [
        sdk.ClientEvent.Sync,
        sdk.MatrixEventEvent.Decrypted,
        CryptoEvent.DevicesUpdated,
        CryptoEvent.UserTrustStatusChanged,
        CryptoEvent.KeysChanged,
    ];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        let wake;
        const woken = new Promise((resolve) => {
            wake = resolve;
        });
        for (const event of events) matrixClient.on(event, wake);
        let timer;
        try {
            const value = await check();
            if (value) return value;
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
            await Promise.race([woken, new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
        } finally {
            clearTimeout(timer);
            for (const event of events) matrixClient.off(event, wake);
        }
    }
}

async function decryptedBody(matrixClient, roomId, eventId) {
    const event = matrixClient.getRoom(roomId)?.findEventById(eventId);
    if (!event) return null;
    if (event.isBeingDecrypted() || event.isDecryptionFailure()) return null;
    return event.getType() === "m.room.message" ? event.getContent().body : null;
}

// -- alice's first device sets everything up ------------------------------------------------
const aliceKey = {};
const aliceCredentials = await register(args.alice, password);
const alice = client(aliceCredentials, { cryptoCallbacks: secretStorageKeyCallbacks(aliceKey) });
const bob = client(await register(args.bob, password));
await start(alice, { crypto: true });
await start(bob, { crypto: true });
const aliceCrypto = alice.getCrypto();

await aliceCrypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuth(alice.getUserId()) });
const recoveryKey = await aliceCrypto.createRecoveryKeyFromPassphrase();
await aliceCrypto.bootstrapSecretStorage({
    createSecretStorageKey: async () => recoveryKey,
    setupNewSecretStorage: true,
    setupNewKeyBackup: true,
});
const backupVersion = await aliceCrypto.getActiveSessionBackupVersion();

// An encrypted room with bob; alice's message goes to bob and its room key to the backup.
const { room_id: roomId } = await alice.createRoom({
    invite: [bob.getUserId()],
    initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
});
await until(bob, () => bob.getRoom(roomId)?.getMyMembership() === "invite", { what: "bob's invite" });
await bob.joinRoom(roomId);
await until(alice, () => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "join", {
    what: "bob's join at alice",
});
const backedUp = waitFor(alice, CryptoEvent.KeyBackupSessionsRemaining, (remaining) => remaining === 0, {
    timeoutMs: 60000,
    what: "the room key backed up",
});
const { event_id: historyId } = await alice.sendTextMessage(roomId, "history from before the new device");
await backedUp;
const bobRead = await whenReady(bob, () => decryptedBody(bob, roomId, historyId), "bob decrypting");

// -- alice's second device: recovery key, backup restore, cross-signed ----------------------
const recoveryKeyTyped = recoveryKey.encodedPrivateKey; // what the user writes down and types in
const secondKey = { privateKey: decodeRecoveryKey(recoveryKeyTyped) };
const second = client(await login(args.alice, password), { cryptoCallbacks: secretStorageKeyCallbacks(secondKey) });
await start(second, { crypto: true });
const secondCrypto = second.getCrypto();
// Importing the cross-signing keys from secret storage needs their public halves first.
await whenReady(
    second,
    async () => (await secondCrypto.getCrossSigningStatus()).publicKeysOnDevice,
    "the second device fetching alice's cross-signing keys",
);
await secondCrypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuth(second.getUserId()) });
await secondCrypto.loadSessionBackupPrivateKeyFromSecretStorage();
const restored = await secondCrypto.restoreKeyBackup();
const secondRead = await whenReady(
    second,
    () => decryptedBody(second, roomId, historyId),
    "the second device decrypting history from the backup",
);
const ownStatus = await secondCrypto.getDeviceVerificationStatus(second.getUserId(), second.getDeviceId());

// bob learns of the new device (device_lists) and sees it signed by alice's self-signing key.
const bobSees = await whenReady(
    bob,
    async () => {
        const status = await bob.getCrypto().getDeviceVerificationStatus(alice.getUserId(), second.getDeviceId());
        return status?.signedByOwner ? status : null;
    },
    "bob seeing the second device signed by alice",
);

done({
    backupVersion,
    crossSigningReady: await aliceCrypto.isCrossSigningReady(),
    secretStorageReady: await aliceCrypto.isSecretStorageReady(),
    restored: { total: restored.total, imported: restored.imported },
    bobRead,
    secondRead,
    secondCrossSigned: ownStatus?.crossSigningVerified ?? false,
    secondSignedByOwner: ownStatus?.signedByOwner ?? false,
    bobSeesSignedByOwner: bobSees.signedByOwner,
    secondDeviceId: second.getDeviceId(),
});
alice.stopClient();
bob.stopClient();
second.stopClient();

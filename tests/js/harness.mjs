// Helpers for node scripts that drive matrix-js-sdk against a running mockserver.
//
// A script is run by tests/js/runner.py: the server's base URL is in MOCKSERVER_URL and the
// test's parameters (JSON) in MOCKSERVER_ARGS. The script ends with `done(value)`, which
// prints one line `RESULT <json>` for the Python test to assert on; any uncaught error
// fails the run (exit 1, with the stack on stderr). See README.md.

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

export { sdk };
export const baseUrl = process.env.MOCKSERVER_URL;
export const args = JSON.parse(process.env.MOCKSERVER_ARGS || "{}");
if (!baseUrl) throw new Error("MOCKSERVER_URL is not set: run scripts through tests/js/runner.py");

// The SDK logs a lot at info level; warnings and errors still reach stderr.
logger.setLevel(process.env.MOCKSERVER_JS_LOG || "warn");

/** Print the result line the Python side reads, then exit (the SDK keeps timers alive). */
export function done(value) {
    process.stdout.write(`RESULT ${JSON.stringify(value ?? null)}\n`, () => process.exit(0));
}

process.on("unhandledRejection", (error) => {
    console.error("unhandled rejection:", error);
    process.exit(1);
});

/** Register `username` with the m.login.dummy stage; answers {userId, accessToken, deviceId}. */
export async function register(username, password = "secret-password") {
    const anon = sdk.createClient({ baseUrl });
    let session;
    try {
        await anon.registerRequest({ username, password });
    } catch (error) {
        if (error.httpStatus !== 401 || !error.data?.session) throw error;
        session = error.data.session;
    }
    const answer = await anon.registerRequest({
        username,
        password,
        auth: { type: "m.login.dummy", session },
    });
    return { userId: answer.user_id, accessToken: answer.access_token, deviceId: answer.device_id };
}

/** Log in with a password (a new device each time); answers {userId, accessToken, deviceId}. */
export async function login(user, password = "secret-password", deviceId = undefined) {
    const anon = sdk.createClient({ baseUrl });
    const answer = await anon.loginRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user },
        password,
        device_id: deviceId,
    });
    return { userId: answer.user_id, accessToken: answer.access_token, deviceId: answer.device_id };
}

/** A client for a logged-in device; `options` go to createClient (e.g. {threadSupport: true}). */
export function client(credentials, options = {}) {
    return sdk.createClient({ baseUrl, ...credentials, ...options });
}

/**
 * Start syncing and wait until the first sync is processed (state PREPARED or SYNCING).
 * With `crypto: true`, Rust crypto is initialised first (in memory: no IndexedDB in node).
 */
export async function start(matrixClient, { crypto = false, timeoutMs = 30000, ...startOptions } = {}) {
    if (crypto) await matrixClient.initRustCrypto({ useIndexedDB: false });
    const prepared = waitFor(
        matrixClient,
        sdk.ClientEvent.Sync,
        (state) => state === "PREPARED" || state === "SYNCING",
        { timeoutMs, what: "the first sync" },
    );
    await matrixClient.startClient({ initialSyncLimit: 20, ...startOptions });
    await prepared;
    return matrixClient;
}

/**
 * Resolve with the arguments of the first `event` on `emitter` for which `predicate` is true.
 * Rejects after `timeoutMs` naming `what`, so a hang becomes a readable failure.
 */
export function waitFor(emitter, event, predicate = () => true, { timeoutMs = 30000, what = event } = {}) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            emitter.off(event, listener);
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        function listener(...values) {
            let matched;
            try {
                matched = predicate(...values);
            } catch (error) {
                clearTimeout(timer);
                emitter.off(event, listener);
                reject(error);
                return;
            }
            if (matched) {
                clearTimeout(timer);
                emitter.off(event, listener);
                resolve(values);
            }
        }
        emitter.on(event, listener);
    });
}

/** Wait until `check()` returns a truthy value, re-checking whenever `client` processes a sync. */
export async function until(matrixClient, check, { timeoutMs = 30000, what = "a condition" } = {}) {
    const first = await check();
    if (first) return first;
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            matrixClient.off(sdk.ClientEvent.Sync, listener);
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        async function listener() {
            const value = await check();
            if (value) {
                clearTimeout(timer);
                matrixClient.off(sdk.ClientEvent.Sync, listener);
                resolve(value);
            }
        }
        matrixClient.on(sdk.ClientEvent.Sync, listener);
    });
}

/** The bodies of a room's live timeline messages, oldest first. */
export function messageBodies(room) {
    return room
        .getLiveTimeline()
        .getEvents()
        .filter((event) => event.getType() === "m.room.message")
        .map((event) => event.getContent().body);
}

// matrix-js-sdk 43's SlidingSync (simplified sliding sync, MSC4186) against mockserver.
//
// Alice acts over plain HTTP; bob logs in and syncs only through SlidingSync: his room
// list, a live message, a room subscription that brings more history, alice typing, her
// read receipt and a to-device message, each waited for on bob's client. With
// `args.crypto`, bob runs Rust crypto, which adds the e2ee extension.
import { SlidingSync } from "matrix-js-sdk/lib/sliding-sync.js";
import { args, client, done, login, messageBodies, register, sdk, until, waitFor } from "./harness.mjs";

const alice = client(await register(args.alice));
await register(args.bob);
const bob = client(await login(args.bob));

const lobby = (await alice.createRoom({ name: "Lobby", preset: "public_chat" })).room_id;
const history = (await alice.createRoom({ name: "History", preset: "public_chat" })).room_id;
await bob.joinRoom(history);
await bob.joinRoom(lobby);
// More history than the subscription's timeline_limit of 10 holds: js-sdk 43 inserts an
// expanded timeline as scrollback only when the answer is limited (or initial), so a room
// the window holds whole would come out of order there, against Synapse as here.
for (let n = 1; n <= 12; n++) await alice.sendTextMessage(history, `h${n}`);
await alice.sendTextMessage(lobby, "first");

const lists = new Map([
    [
        "all",
        {
            ranges: [[0, 19]],
            timeline_limit: 1,
            required_state: [
                ["m.room.name", ""],
                ["m.room.create", ""],
                ["m.room.member", "$LAZY"],
                ["m.room.member", "$ME"],
            ],
        },
    ],
]);
const subscription = { timeline_limit: 10, required_state: [["*", "*"]] };
const slidingSync = new SlidingSync(baseUrlOf(bob), lists, subscription, bob, 30000);
if (args.crypto) await bob.initRustCrypto({ useIndexedDB: false });
const prepared = waitFor(bob, sdk.ClientEvent.Sync, (state) => state === "PREPARED", {
    what: "the first sliding sync",
});
await bob.startClient({ slidingSync });
await prepared;

// The room list: both rooms, most recent first, with names from required_state.
const listed = await until(
    bob,
    () => bob.getRoom(lobby) && bob.getRoom(history) && slidingSync.getListData("all")?.joinedCount === 2,
    { what: "bob's room list" },
);
const roomList = {
    count: slidingSync.getListData("all").joinedCount,
    names: [bob.getRoom(lobby), bob.getRoom(history)]
        .sort((a, b) => b.getBumpStamp() - a.getBumpStamp())
        .map((room) => room.name),
    historyBodies: messageBodies(bob.getRoom(history)),
};

// A live message.
await alice.sendTextMessage(lobby, "live");
await until(bob, () => messageBodies(bob.getRoom(lobby)).includes("live"), {
    what: "alice's live message",
});

// A room subscription: the rest of the history the list's timeline_limit left out.
slidingSync.modifyRoomSubscriptions(new Set([history]));
await until(bob, () => messageBodies(bob.getRoom(history)).length === 10, {
    what: "the subscribed room's history",
});

// Typing.
const typing = waitFor(
    bob,
    sdk.RoomMemberEvent.Typing,
    (_event, member) => member.userId === alice.getUserId() && member.typing,
    { what: "alice typing" },
);
await alice.sendTyping(lobby, true, 30000);
await typing;

// A read receipt.
const liveEvent = bob.getRoom(lobby).getLiveTimeline().getEvents().at(-1);
await alice.sendReadReceipt(liveEvent);
await until(bob, () => bob.getRoom(lobby).getEventReadUpTo(alice.getUserId()) === liveEvent.getId(), {
    what: "alice's read receipt",
});

// A to-device message.
const toDevice = waitFor(bob, sdk.ClientEvent.ReceivedToDeviceMessage, (received) =>
    received.message.type === "m.mockserver.test",
    { what: "a to-device message" },
);
await alice.queueToDevice({
    eventType: "m.mockserver.test",
    batch: [{ userId: bob.getUserId(), deviceId: bob.getDeviceId(), payload: { hello: "bob" } }],
});
const [received] = await toDevice;

done({
    roomList,
    lobbyBodies: messageBodies(bob.getRoom(lobby)),
    historyBodies: messageBodies(bob.getRoom(history)),
    typing: bob.getRoom(lobby).getMember(alice.getUserId()).typing,
    receipt: bob.getRoom(lobby).getEventReadUpTo(alice.getUserId()) === liveEvent.getId(),
    toDevice: { type: received.message.type, content: received.message.content, sender: received.message.sender },
    crypto: args.crypto ? bob.getCrypto().getVersion() : null,
});
slidingSync.stop();
bob.stopClient();

function baseUrlOf(matrixClient) {
    return matrixClient.getHomeserverUrl();
}

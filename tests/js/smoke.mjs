// js-sdk 43 against mockserver: two users, a room, a message seen live by the other.
import { args, client, done, messageBodies, register, start, until, sdk } from "./harness.mjs";

const alice = client(await register(args.alice));
const bob = client(await register(args.bob));
await start(alice, { crypto: args.crypto });
await start(bob, { crypto: args.crypto });

const { room_id: roomId } = await alice.createRoom({ name: "Smoke", invite: [bob.getUserId()] });
await until(bob, () => bob.getRoom(roomId)?.getMyMembership() === "invite", { what: "bob's invite" });
await bob.joinRoom(roomId);
await alice.sendTextMessage(roomId, "hello from js-sdk");

const room = await until(
    bob,
    () => {
        const room = bob.getRoom(roomId);
        return room && messageBodies(room).includes("hello from js-sdk") ? room : null;
    },
    { what: "alice's message at bob" },
);
done({
    roomName: room.name,
    bodies: messageBodies(room),
    members: room.getJoinedMembers().map((member) => member.userId).sort(),
    cryptoVersion: args.crypto ? bob.getCrypto().getVersion() : null,
});
alice.stopClient();
bob.stopClient();

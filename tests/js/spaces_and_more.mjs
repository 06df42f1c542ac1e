// js-sdk 43's getRoomHierarchy, knockRoom and searchUserDirectory against mockserver.
import { args, client, done, register, start, until } from "./harness.mjs";

const alice = client(await register(args.alice));
const bob = client(await register(args.bob));
await start(alice);
await start(bob);

// A space with a public room (suggested) and a subspace holding a knock room.
const space = (await alice.createRoom({ name: "Space", preset: "public_chat", creation_content: { type: "m.space" } })).room_id;
const lobby = (await alice.createRoom({ name: "Lobby", preset: "public_chat" })).room_id;
const door = (await alice.createRoom({
    name: "Door",
    initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
})).room_id;
await alice.sendStateEvent(space, "m.space.child", { via: ["localhost"], suggested: true, order: "a" }, lobby);
await alice.sendStateEvent(space, "m.space.child", { via: ["localhost"], order: "b" }, door);

const hierarchy = await bob.getRoomHierarchy(space, 1);
const page2 = await bob.getRoomHierarchy(space, 1, undefined, false, hierarchy.next_batch);
const page3 = await bob.getRoomHierarchy(space, 1, undefined, false, page2.next_batch);
const suggested = await bob.getRoomHierarchy(space, 10, undefined, true);

// The user directory: bob finds alice once she is in a public room.
const found = await bob.searchUserDirectory({ term: args.alice, limit: 5 });

// Knock, then be let in.
const knocked = await bob.knockRoom(door, { reason: "may I?" });
await until(bob, () => bob.getRoom(door)?.getMyMembership() === "knock", { what: "bob's knock in his sync" });
const knockState = bob.getRoom(door);
await until(alice, () => alice.getRoom(door)?.getMember(bob.getUserId())?.membership === "knock", { what: "the knock at alice" });
await alice.invite(door, bob.getUserId());
await until(bob, () => bob.getRoom(door)?.getMyMembership() === "invite", { what: "bob's invite" });
await bob.joinRoom(door);
await until(bob, () => bob.getRoom(door)?.getMyMembership() === "join", { what: "bob joined" });

done({
    pages: [hierarchy, page2, page3].map((page) => ({
        names: page.rooms.map((room) => room.name),
        more: Boolean(page.next_batch),
    })),
    suggested: suggested.rooms.map((room) => room.name),
    spaceType: hierarchy.rooms[0].room_type,
    children: hierarchy.rooms[0].children_state.map((event) => event.state_key),
    found: found.results.map((user) => user.user_id),
    knocked: knocked.room_id,
    knockRoomName: knockState.name,
    finally: bob.getRoom(door).getMyMembership(),
});
alice.stopClient();
bob.stopClient();

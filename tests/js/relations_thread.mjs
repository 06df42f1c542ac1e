// js-sdk 43 with threadSupport reads threads, reactions and edits from mockserver: a thread's
// root, replies and count (from the bundled m.thread of a limited initial sync and /relations),
// a reaction count from /relations, and an edit replacing a message in the timeline.
import { args, client, done, register, start, sdk } from "./harness.mjs";

/** Resolve with `check()`'s first truthy value, re-checked on each of `events` of `emitter`
 * (a thread fills in after the sync that created it, when its /relations page arrives). */
function recheckedOn([emitter, events], check, what, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
        const stop = () => events.forEach((event) => emitter.off(event, listener));
        const timer = setTimeout(() => {
            stop();
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        function listener() {
            const value = check();
            if (value) {
                clearTimeout(timer);
                stop();
                resolve(value);
            }
        }
        events.forEach((event) => emitter.on(event, listener));
        listener();
    });
}

const alice = client(await register(args.alice));
const bob = client(await register(args.bob));
const carolCredentials = await register(args.carol);
const { room_id: roomId } = await alice.createRoom({ name: "Release", preset: "public_chat" });
await bob.joinRoom(roomId);
const carol = client(carolCredentials);
await carol.joinRoom(roomId);

const text = (body) => ({ msgtype: "m.text", body });
const { event_id: root } = await alice.sendMessage(roomId, text("Shall we ship on Friday?"));
await bob.sendMessage(roomId, root, text("Friday works for me"));
await alice.sendMessage(roomId, root, text("Great, Friday it is"));
const { event_id: lunch } = await alice.sendMessage(roomId, text("Lunch at noon?"));
for (const reactor of [bob, carol]) {
    await reactor.sendEvent(roomId, "m.reaction", {
        "m.relates_to": { rel_type: "m.annotation", event_id: lunch, key: "👍" },
    });
}
const { event_id: typo } = await alice.sendMessage(roomId, text("teh plan is set"));
const { event_id: edit } = await alice.sendMessage(roomId, {
    ...text("* the plan is set"),
    "m.new_content": text("the plan is set"),
    "m.relates_to": { rel_type: "m.replace", event_id: typo },
});

// Carol's first sync is limited to the last events: the root arrives with its bundle.
// (threadSupport is a startClient option in js-sdk 43: createClient's is not read.)
await start(carol, { initialSyncLimit: args.initialSyncLimit, threadSupport: true });
const room = carol.getRoom(roomId);
const thread = await recheckedOn(
    [room, [sdk.ThreadEvent.New, sdk.ThreadEvent.Update]],
    () => {
        const found = room.getThread(root);
        return found && found.initialEventsFetched && found.events.length >= 3 ? found : null;
    },
    "carol's thread with its replies",
);
const reactions = await carol.relations(roomId, lunch, "m.annotation", "m.reaction");
const edited = room.getLiveTimeline().getEvents().find((event) => event.getId() === typo);
done({
    threadRoot: thread.rootEvent?.getContent().body,
    threadLength: thread.length,
    threadReplies: thread.events.filter((e) => e.getId() !== root).map((e) => e.getContent().body),
    mainTimeline: room
        .getLiveTimeline()
        .getEvents()
        .filter((event) => event.getType() === "m.room.message")
        .map((event) => event.getContent().body),
    thumbsUp: reactions.events.filter((e) => e.getRelation()?.key === "👍").length,
    editedBody: edited?.getContent().body,
    replacedBy: edited?.replacingEventId(),
    edit,
});
for (const matrixClient of [alice, bob, carol]) matrixClient.stopClient();

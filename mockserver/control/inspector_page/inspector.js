// The inspector page: reads the world and the journal from the control API and follows
// changes with a long-poll on /_mock/inspector/changes (the server wakes it; it never polls).
// Every text from the world is set with textContent: event content is the clients' input.
"use strict";

const API = "/_mock";
const TIMELINE_PAGE = 50;
const JOURNAL_LIMIT = 200;
const WAIT_MS = 25000;

const state = {
  version: -1,
  world: null,
  selectedRoom: null,
  timeline: { roomId: null, events: [], nextBefore: null, depth: 0 },
  journalFilter: { user_id: "", path: "", status: "" },
  tab: "world",
};

// With a control token the page is opened as /_mock/?control_token=...; keep it for the
// page's own requests (as a header) and take it out of the address bar and history.
const controlToken = new URLSearchParams(location.search).get("control_token");
if (controlToken !== null) history.replaceState(null, "", location.pathname);

// -- talking to the server ---------------------------------------------------------------

async function call(method, path, body) {
  const headers = {};
  if (controlToken !== null) headers.Authorization = `Bearer ${controlToken}`;
  const init = { method, headers };
  if (body instanceof Blob) {
    init.body = body;
    headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(API + path, init);
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(`${answer.errcode || response.status}: ${answer.error || response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return answer;
}

function say(text, isError = false) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.classList.toggle("error", isError);
  box.hidden = false;
}

async function act(what, work) {
  try {
    const answer = await work();
    say(what);
    return answer;
  } catch (error) {
    say(`${what} failed: ${error.message}`, true);
    return null;
  }
}

// -- small DOM helpers ---------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function replaceChildren(node, children) {
  node.replaceChildren(...children);
}

function summary(event) {
  if (event.redacted) return "(redacted)";
  const content = event.content || {};
  if (event.type === "m.room.member") return `${event.state_key} ${content.membership || ""}`.trim();
  if (typeof content.body === "string") return content.body;
  if (event.type === "m.room.name") return content.name;
  if (event.type === "m.room.topic") return content.topic;
  if (event.type === "m.reaction") return content["m.relates_to"]?.key || "";
  return "";
}

// -- the world -----------------------------------------------------------------------------

function renderHeader(world) {
  document.getElementById("server-name").textContent = world.server_name;
  document.getElementById("position").textContent = world.position;
  document.getElementById("clock").textContent =
    `${new Date(world.clock.now_ms).toISOString()}${world.clock.frozen ? " (frozen)" : ""}`;
  document.getElementById("parked-total").textContent = String(world.parked.total);
}

function roomLabel(room) {
  return room.name || room.canonical_alias || room.room_id;
}

function renderRooms(world) {
  document.getElementById("room-count").textContent = `(${world.rooms.length})`;
  const items = world.rooms.map((room) => {
    const joined = room.members.filter((m) => m.membership === "join").length;
    const button = el(
      "button",
      { type: "button", "data-room-id": room.room_id, onclick: () => selectRoom(room.room_id) },
      roomLabel(room),
      el("span", { className: "sub", text: `${room.room_id} · ${joined} joined · ${room.depth} events` }),
    );
    if (room.room_id === state.selectedRoom) button.setAttribute("aria-current", "true");
    return el("li", {}, button);
  });
  replaceChildren(document.getElementById("rooms"), items);
}

function renderUsers(world) {
  document.getElementById("user-count").textContent = `(${world.users.length})`;
  const rows = world.users.map((user) => {
    const rooms = Object.entries(user.rooms).map(([membership, ids]) => `${membership}: ${ids.length}`);
    const presence = user.presence ? user.presence.presence : "—";
    const typing = user.typing_in.length ? ` · typing` : "";
    return el(
      "tr",
      { "data-user-id": user.user_id },
      el("td", { className: "mono", text: user.user_id + (user.displayname ? ` (${user.displayname})` : "") }),
      el("td", { text: presence + typing }),
      el("td", { className: "mono", text: user.devices.map((d) => d.device_id + (d.has_keys ? " 🔑" : "")).join(", ") }),
      el("td", { text: rooms.join(", ") }),
    );
  });
  replaceChildren(document.querySelector("#users tbody"), rows);
}

async function selectRoom(roomId) {
  state.selectedRoom = roomId;
  state.timeline = { roomId, events: [], nextBefore: null, depth: 0 };
  renderRooms(state.world);
  await loadTimeline(true);
}

async function loadTimeline(fresh) {
  const roomId = state.selectedRoom;
  if (roomId === null) return;
  const timeline = state.timeline;
  let path = `/inspector/rooms/${encodeURIComponent(roomId)}/timeline?limit=${TIMELINE_PAGE}`;
  if (!fresh && timeline.nextBefore !== null) path += `&before=${timeline.nextBefore}`;
  const page = await call("GET", path);
  if (state.selectedRoom !== roomId) return;
  if (fresh) {
    // Keep the pages already loaded below the newest one.
    const known = new Set(page.events.map((e) => e.event_id));
    const older = timeline.events.filter((e) => !known.has(e.event_id) && e.depth < (page.events.at(-1)?.depth ?? 0));
    timeline.events = [...page.events, ...older];
    if (older.length === 0) timeline.nextBefore = page.next_before;
  } else {
    timeline.events = [...timeline.events, ...page.events];
    timeline.nextBefore = page.next_before;
  }
  timeline.depth = page.depth;
  renderRoom();
}

function renderRoom() {
  const detail = document.getElementById("room-detail");
  const room = state.world?.rooms.find((r) => r.room_id === state.selectedRoom);
  if (!room) {
    replaceChildren(detail, [el("p", { className: "dim", text: "Choose a room to see its members, state and timeline." })]);
    return;
  }
  const facts = [
    room.topic && `topic: ${room.topic}`,
    room.canonical_alias && `alias: ${room.canonical_alias}`,
    room.join_rule && `join rule: ${room.join_rule}`,
    room.encrypted ? "encrypted" : null,
    room.typing.length ? `typing: ${room.typing.join(", ")}` : null,
  ].filter(Boolean);
  const members = room.members.map((m) =>
    el("tr", {}, el("td", { className: "mono", text: m.user_id }), el("td", { text: m.membership }), el("td", { text: m.displayname || "" })),
  );
  const stateItems = room.state.map((event) =>
    el("li", {}, el("span", { className: "mono", text: `${event.type} [${event.state_key}] ` }), el("span", { text: summary(event) || "" })),
  );
  const events = state.timeline.events.map((event) => {
    const relation = event.relation
      ? el("div", { className: "relation", text: `${event.relation.rel_type || "relates"} → ${event.relation.event_id}` })
      : null;
    return el(
      "li",
      { "data-event-id": event.event_id },
      el("div", { className: "meta" },
        el("span", { className: "type", text: event.type + (event.state_key !== null ? ` [${event.state_key}]` : "") }),
        ` · ${event.sender} · ${new Date(event.origin_server_ts).toISOString()} · #${event.depth}`),
      el("div", { className: event.redacted ? "body redacted" : "body", text: summary(event) }),
      relation,
      el("details", {}, el("summary", { text: "JSON" }), el("pre", { text: JSON.stringify(event, null, 2) })),
    );
  });
  const more = state.timeline.nextBefore !== null
    ? el("button", { type: "button", id: "older", onclick: () => loadTimeline(false) }, "Older events")
    : el("p", { className: "dim", text: "The start of the room." });
  replaceChildren(detail, [
    el("h2", { text: roomLabel(room) }),
    el("p", { className: "mono dim", text: room.room_id }),
    el("p", { text: facts.join(" · ") }),
    el("h3", { text: `Members (${room.members.length})` }),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "user" }), el("th", { text: "membership" }), el("th", { text: "name" }))), el("tbody", {}, ...members)),
    el("details", {}, el("summary", { text: `State (${room.state.length} entries)` }), el("ul", {}, ...stateItems)),
    el("h3", { text: `Timeline (${room.depth} events, newest first)` }),
    el("ol", { className: "timeline", id: "timeline", reversed: "" }, ...events),
    more,
  ]);
}

// -- traffic ---------------------------------------------------------------------------------

async function loadJournal() {
  const filter = state.journalFilter;
  const query = new URLSearchParams({ limit: String(JOURNAL_LIMIT) });
  if (filter.user_id) query.set("user_id", filter.user_id);
  if (filter.path) query.set("path", filter.path);
  const journal = await call("GET", `/journal?${query}`);
  const shown = journal.requests.filter((entry) => {
    if (!filter.status) return true;
    if (filter.status === "pending") return entry.status === null && !entry.dropped;
    if (filter.status === "fault") return entry.fault !== null;
    return entry.status !== null && String(entry.status).startsWith(filter.status);
  });
  document.getElementById("journal-count").textContent = `(${shown.length} shown)`;
  const rows = shown.reverse().map((entry) => {
    const status = entry.dropped ? "dropped" : entry.status === null ? "…" : String(entry.status);
    const statusClass = entry.status === null ? "pending" : `status-${String(entry.status)[0]}`;
    return el(
      "tr",
      { "data-seq": String(entry.seq) },
      el("td", { text: String(entry.seq) }),
      el("td", { text: entry.method }),
      el("td", { className: "mono", text: entry.path }),
      el("td", { className: "mono", text: entry.user_id || "" }),
      el("td", { className: statusClass, text: status }),
      el("td", { text: entry.fault || "" }),
      el("td", { text: entry.duration_ms === null ? "" : entry.duration_ms.toFixed(1) }),
    );
  });
  replaceChildren(document.querySelector("#journal tbody"), rows);
}

function renderParked(world) {
  const entries = Object.entries(world.parked.parked);
  const items = entries.length
    ? entries.map(([who, count]) => el("li", { className: "mono", text: `${who || "(anonymous)"}: ${count}` }))
    : [el("li", { className: "dim", text: "none" })];
  replaceChildren(document.getElementById("parked"), items);
}

// -- controls --------------------------------------------------------------------------------

function describeStep(step) {
  const trigger = step.trigger.kind === "after_ms" ? `after ${step.trigger.amount} ms`
    : step.trigger.kind === "after_sync" ? `after ${step.trigger.user_id}'s sync #${step.trigger.amount}`
    : "on next";
  const action = step.action;
  if (action.kind === "presence") return `${trigger}: ${action.user_id} becomes ${action.presence}`;
  const kind = action.kind === "typing" && !action.typing ? "stops typing" : action.kind;
  const target = action.target ? ` ${action.target}` : "";
  const body = action.body ? `: “${action.body}”` : "";
  return `${trigger}: ${action.user_id} ${kind}${target} in ${action.room_id}${body}`;
}

function describeFault(rule) {
  const what = rule.drop ? `drop ${rule.drop}` : rule.status ? String(rule.status) : "pass";
  const errcode = rule.response?.errcode ? ` ${rule.response.errcode}` : "";
  const delay = rule.delay_ms ? ` after ${rule.delay_ms} ms` : "";
  const left = rule.remaining === null ? "until removed" : `${rule.remaining} left`;
  return `${rule.id}: ${rule.method || "*"} ${rule.path || "*"}${rule.user_id ? ` for ${rule.user_id}` : ""} → ${what}${errcode}${delay} (${rule.hits} hit, ${left})`;
}

function renderControls(world) {
  const steps = [];
  for (const script of world.script) {
    script.steps.forEach((step, index) => {
      steps.push(el("li", { className: index === 0 ? "next" : "" , text: `${describeStep(step)} (${script.source})` }));
    });
  }
  replaceChildren(document.getElementById("script-steps"), steps.length ? steps : [el("li", { className: "dim", text: "no pending step" })]);
  document.getElementById("script-next").disabled = steps.length === 0;
  replaceChildren(document.getElementById("script-failures"),
    world.script_failures.map((f) => el("li", { text: `${f.step}: ${f.error}` })));
  document.getElementById("clock-detail").textContent =
    `${new Date(world.clock.now_ms).toISOString()} — ${world.clock.frozen ? "frozen" : "running"}`;
  replaceChildren(document.getElementById("faults"), world.faults.length
    ? world.faults.map((rule) => el("li", { "data-fault-id": rule.id },
        el("span", { className: "mono", text: describeFault(rule) }),
        el("button", { type: "button", onclick: () => act(`Removed fault ${rule.id}`, () => call("DELETE", `/faults/${encodeURIComponent(rule.id)}`)) }, "Remove")))
    : [el("li", { className: "dim", text: "no fault rule" })]);
  fillSelect(document.querySelector("#act select[name=user_id]"), world.users.map((u) => [u.user_id, u.user_id]));
  fillSelect(document.querySelector("#act select[name=room_id]"), world.rooms.map((r) => [r.room_id, roomLabel(r)]));
}

function fillSelect(select, options) {
  const chosen = select.value;
  replaceChildren(select, options.map(([value, label]) => el("option", { value, text: label })));
  if (options.some(([value]) => value === chosen)) select.value = chosen;
}

function formValues(form) {
  const values = {};
  for (const [key, value] of new FormData(form).entries()) {
    if (typeof value === "string" && value.trim() !== "") values[key] = value.trim();
  }
  return values;
}

function wireControls() {
  document.getElementById("script-next").addEventListener("click", () =>
    act("Released the next step", () => call("POST", "/script/next")));
  document.getElementById("clock-freeze").addEventListener("click", () => act("Froze the clock", () => call("POST", "/clock/freeze", {})));
  document.getElementById("clock-unfreeze").addEventListener("click", () => act("Unfroze the clock", () => call("POST", "/clock/unfreeze", {})));
  document.getElementById("clock-advance").addEventListener("submit", (event) => {
    event.preventDefault();
    const ms = Number(new FormData(event.target).get("ms"));
    act(`Advanced the clock by ${ms} ms`, () => call("POST", "/clock/advance", { ms }));
  });
  document.getElementById("reset-fixtures").addEventListener("click", () =>
    act("Reset to the loaded scenarios", () => call("POST", "/reset", { fixtures: true })));
  document.getElementById("reset-empty").addEventListener("click", () =>
    act("Reset to an empty world", () => call("POST", "/reset", { fixtures: false })));
  document.getElementById("export").addEventListener("click", () => act("Downloaded the export", async () => {
    const world = await call("GET", "/export");
    const link = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(world, null, 2)], { type: "application/json" })), download: "mockserver-export.json" });
    document.body.append(link);
    link.click();
    link.remove();
  }));
  document.getElementById("load-scenario").addEventListener("submit", (event) => {
    event.preventDefault();
    const file = new FormData(event.target).get("file");
    act(`Loaded ${file.name}`, () => call("POST", `/fixtures?source=${encodeURIComponent(file.name)}`, file));
  });
  document.getElementById("act").addEventListener("submit", (event) => {
    event.preventDefault();
    const values = formValues(event.target);
    const who = { user_id: values.user_id, room_id: values.room_id };
    const actions = {
      send: () => call("POST", "/act/send", { ...who, body: values.body || "Hello from the inspector" }),
      join: () => call("POST", "/act/join", who),
      leave: () => call("POST", "/act/leave", who),
      "typing-on": () => call("POST", "/act/typing", { ...who, typing: true }),
      "typing-off": () => call("POST", "/act/typing", { ...who, typing: false }),
    };
    act(`${values.user_id}: ${values.action}`, actions[values.action]);
  });
  document.getElementById("add-fault").addEventListener("submit", (event) => {
    event.preventDefault();
    const values = formValues(event.target);
    const rule = {};
    for (const key of ["method", "path", "user_id", "errcode", "drop"]) if (values[key]) rule[key] = values[key];
    for (const key of ["status", "times", "delay_ms"]) if (values[key]) rule[key] = Number(values[key]);
    if (!rule.drop && !rule.status && !rule.delay_ms) rule.status = 500;
    act("Added a fault", () => call("POST", "/faults", rule));
  });
  document.getElementById("journal-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    state.journalFilter = { user_id: "", path: "", status: "", ...formValues(event.target) };
    loadJournal().catch((error) => say(`Reading the journal failed: ${error.message}`, true));
  });
}

// -- tabs and keys -----------------------------------------------------------------------------

const TABS = ["world", "traffic", "controls"];

function showTab(name, focus = false) {
  state.tab = name;
  for (const tab of TABS) {
    const button = document.getElementById(`tab-${tab}`);
    const selected = tab === name;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    document.getElementById(tab).hidden = !selected;
    if (selected && focus) button.focus();
  }
  if (name === "traffic") loadJournal().catch((error) => say(`Reading the journal failed: ${error.message}`, true));
}

function wireTabs() {
  for (const tab of TABS) {
    document.getElementById(`tab-${tab}`).addEventListener("click", () => showTab(tab));
  }
  document.querySelector("nav").addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step === undefined) return;
    const next = TABS[(TABS.indexOf(state.tab) + step + TABS.length) % TABS.length];
    showTab(next, true);
    event.preventDefault();
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
    const index = ["1", "2", "3"].indexOf(event.key);
    if (index !== -1) {
      showTab(TABS[index], true);
      event.preventDefault();
    }
  });
}

// -- following changes -------------------------------------------------------------------------

async function refresh() {
  const world = await call("GET", "/inspector/world");
  state.world = world;
  renderHeader(world);
  renderRooms(world);
  renderUsers(world);
  renderParked(world);
  renderControls(world);
  const room = world.rooms.find((r) => r.room_id === state.selectedRoom);
  if (state.selectedRoom !== null && !room) state.selectedRoom = null;
  if (room && room.depth !== state.timeline.depth) await loadTimeline(true);
  else renderRoom();
  if (state.tab === "traffic") await loadJournal();
  return world.version;
}

async function follow() {
  const live = document.getElementById("live");
  for (;;) {
    try {
      state.version = await refresh();
      live.textContent = "live";
      live.className = "live on";
      for (;;) {
        const { version } = await call("GET", `/inspector/changes?after=${state.version}&timeout=${WAIT_MS}`);
        if (version !== state.version) break;
      }
    } catch (error) {
      live.textContent = `disconnected (${error.message}); retrying`;
      live.className = "live off";
      // The server is gone or refused us: wait for the browser's next retry rather than spin.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

wireTabs();
wireControls();
follow();

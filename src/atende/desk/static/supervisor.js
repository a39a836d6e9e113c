// Supervisor views: live queues and the team. The workspace stream tells the page what changed;
// queue figures are re-read (at most a few times a second) and agents' rows are updated in place,
// so a thousand agents stay cheap to show.

import {
  PushStream,
  api,
  byId,
  formatDuration,
  formatNumber,
  formatPercent,
  formatTime,
  h,
  reportError,
  secondsSince,
  syncClock,
  t,
  throttle,
  toast,
} from "./desk.js";

const state = {
  workspaceSid: null,
  activities: [],
  queues: [],
  workers: new Map(),
  rows: new Map(),
  dirty: new Set(),
  filters: { text: "", team: "", skill: "", state: "" },
};

// ---------- queues ----------

async function loadQueues() {
  const query = state.workspaceSid ? `?workspace_sid=${encodeURIComponent(state.workspaceSid)}` : "";
  const data = await api("GET", `/api/desk/supervisor${query}`);
  syncClock(data.now);
  state.workspaceSid = data.workspace_sid;
  state.activities = data.activities;
  state.queues = data.queues;
  renderWorkspaces(data.workspaces);
  renderTiles(data.totals);
  renderQueues();
  byId("updated-at").textContent = t("supervisor.updated", { time: formatTime(data.now) });
  return data;
}

const refreshQueues = throttle(() => loadQueues().catch(reportError), 250);

function renderWorkspaces(workspaces) {
  const select = byId("workspace");
  select.hidden = workspaces.length < 2;
  select.replaceChildren(
    ...workspaces.map((workspace) =>
      h("option", { value: workspace.sid, selected: workspace.sid === state.workspaceSid }, workspace.name),
    ),
  );
}

function tile(label, value, id, cls = "", oldest = null) {
  const dataset = oldest ? { oldest } : undefined;
  return h("div", { class: "tile" }, h("div", { class: "label" }, label), h("div", { class: `value ${cls}`, id, dataset }, value));
}

// The longest wait keeps growing between pushes, so it ticks on the page.
function oldestWaiting() {
  const times = state.queues.map((queue) => queue.oldest_waiting_since).filter(Boolean).sort();
  return times[0] || null;
}

function renderTiles(totals) {
  const sl = totals.service_level;
  const target = totals.service_level_target;
  byId("tiles").replaceChildren(
    tile(t("queue.waiting"), formatNumber(totals.waiting), "tile-waiting", totals.waiting > 0 ? "" : "ok"),
    tile(t("queue.longest_wait"), formatDuration(totals.longest_wait_seconds), "tile-longest", "", oldestWaiting()),
    tile(t("queue.service_level"), formatPercent(sl), "tile-sl", sl == null ? "" : sl >= target ? "ok" : "bad"),
    tile(t("queue.handled"), formatNumber(totals.handled), "tile-handled"),
    tile(t("queue.abandoned"), formatNumber(totals.abandoned), "tile-abandoned", totals.abandoned > 0 ? "bad" : ""),
    tile(t("queue.available"), formatNumber(totals.available), "tile-available"),
    tile(t("queue.busy"), formatNumber(totals.busy), "tile-busy"),
    tile(t("queue.offline"), formatNumber(totals.offline), "tile-offline"),
  );
}

function serviceLevel(queue) {
  if (queue.service_level == null) return h("span", { class: "muted" }, "–");
  const bad = queue.service_level < queue.service_level_target;
  return h(
    "span",
    { class: "sl", title: t("queue.sl_goal", { target: queue.service_level_target, seconds: queue.service_level_threshold }) },
    h("span", { class: `meter ${bad ? "bad" : ""}`, "aria-hidden": "true" }, h("span", { style: `width:${Math.min(100, queue.service_level)}%` })),
    h("span", { class: bad ? "badge bad" : "badge ok" }, formatPercent(queue.service_level)),
    h("span", { class: "muted small" }, `/ ${queue.service_level_target}% ${t("queue.in_seconds", { seconds: queue.service_level_threshold })}`),
  );
}

function renderQueues() {
  const body = byId("queues-table").tBodies[0];
  const previous = new Map([...body.rows].map((row) => [row.dataset.sid, row.dataset.snapshot]));
  body.replaceChildren(
    ...state.queues.map((queue) => {
      const snapshot = JSON.stringify([queue.waiting, queue.handled, queue.abandoned, queue.available, queue.busy]);
      const changed = previous.has(queue.sid) && previous.get(queue.sid) !== snapshot;
      return h(
        "tr",
        { dataset: { sid: queue.sid, snapshot }, class: changed ? "flash" : "" },
        h("th", { scope: "row" }, queue.name),
        h("td", { class: "num", dataset: { field: "waiting" } }, formatNumber(queue.waiting)),
        h("td", { class: "num", dataset: { field: "longest", oldest: queue.oldest_waiting_since || "" } }, formatDuration(queue.longest_wait_seconds)),
        h("td", { dataset: { field: "sl" } }, serviceLevel(queue)),
        h("td", { class: "num", dataset: { field: "handled" } }, formatNumber(queue.handled)),
        h("td", { class: "num", dataset: { field: "abandoned" } }, formatNumber(queue.abandoned)),
        h("td", { class: "num", dataset: { field: "available" } }, formatNumber(queue.available)),
        h("td", { class: "num", dataset: { field: "busy" } }, formatNumber(queue.busy)),
        h("td", { class: "num", dataset: { field: "offline" } }, formatNumber(queue.offline)),
      );
    }),
  );
  if (state.queues.length === 0) {
    body.append(h("tr", {}, h("td", { colspan: 9, class: "empty" }, t("supervisor.no_queues"))));
  }
}

function tickLongestWaits() {
  for (const cell of document.querySelectorAll("#queues-table td[data-oldest], #tile-longest[data-oldest]")) {
    if (cell.dataset.oldest) cell.textContent = formatDuration(secondsSince(cell.dataset.oldest));
  }
}

// ---------- team ----------

async function loadTeam(workerSids) {
  const params = new URLSearchParams();
  if (state.workspaceSid) params.set("workspace_sid", state.workspaceSid);
  if (workerSids) params.set("workers", workerSids.join(","));
  const data = await api("GET", `/api/desk/supervisor/team?${params}`);
  syncClock(data.now);
  if (!workerSids) {
    state.workers = new Map(data.workers.map((worker) => [worker.sid, worker]));
    buildTeamTable();
  } else {
    for (const worker of data.workers) {
      state.workers.set(worker.sid, worker);
      updateRow(worker);
    }
  }
}

const flushDirty = throttle(() => {
  const sids = [...state.dirty];
  state.dirty.clear();
  if (sids.length) loadTeam(sids).catch(reportError);
}, 500);

function stateLabel(worker) {
  return worker.activity_name;
}

function workText(worker) {
  if (!worker.work.length) return "–";
  return worker.work
    .map((item) => `${t(`channel.${item.channel}`)}${item.queue_name ? ` · ${item.queue_name}` : ""}`)
    .join("; ");
}

function rowFor(worker) {
  const row = h(
    "tr",
    { dataset: { sid: worker.sid } },
    h("th", { scope: "row" }, worker.name),
    h("td", {}, worker.team || "–"),
    h("td", {}, h("span", { class: `state-pill ${worker.state}` }, stateLabel(worker))),
    h("td", { class: "num", dataset: { since: worker.since } }, formatDuration(secondsSince(worker.since))),
    h("td", { class: "small" }, workText(worker)),
    h("td", { class: "small muted" }, (worker.skills || []).join(", ")),
    h(
      "td",
      {},
      h(
        "button",
        { type: "button", class: "button small", onclick: () => openAgent(worker.sid), "aria-label": t("team.manage", { name: worker.name }) },
        t("team.manage_short"),
      ),
    ),
  );
  return row;
}

function updateRow(worker) {
  const old = state.rows.get(worker.sid);
  const row = rowFor(worker);
  row.hidden = !matches(worker);
  if (old) {
    row.classList.add("flash");
    old.replaceWith(row);
  } else {
    byId("team-table").tBodies[0].append(row);
  }
  state.rows.set(worker.sid, row);
}

function buildTeamTable() {
  const body = byId("team-table").tBodies[0];
  state.rows = new Map();
  const fragment = document.createDocumentFragment();
  const workers = [...state.workers.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const worker of workers) {
    const row = rowFor(worker);
    state.rows.set(worker.sid, row);
    fragment.append(row);
  }
  body.replaceChildren(fragment);
  fillFilterOptions(workers);
  applyFilters();
}

function fillFilterOptions(workers) {
  const teams = [...new Set(workers.map((worker) => worker.team).filter(Boolean))].sort();
  const skills = [...new Set(workers.flatMap((worker) => worker.skills || []))].sort();
  for (const [id, values] of [
    ["filter-team", teams],
    ["filter-skill", skills],
  ]) {
    const select = byId(id);
    const current = select.value;
    select.replaceChildren(h("option", { value: "" }, t("common.all")), ...values.map((value) => h("option", { value, selected: value === current }, value)));
  }
}

function matches(worker) {
  const { text, team, skill, state: wanted } = state.filters;
  if (team && worker.team !== team) return false;
  if (skill && !(worker.skills || []).includes(skill)) return false;
  if (wanted && worker.state !== wanted) return false;
  if (text && !worker.name.toLowerCase().includes(text)) return false;
  return true;
}

function applyFilters() {
  state.filters = {
    text: byId("filter-text").value.trim().toLowerCase(),
    team: byId("filter-team").value,
    skill: byId("filter-skill").value,
    state: byId("filter-state").value,
  };
  let shown = 0;
  for (const [sid, row] of state.rows) {
    const visible = matches(state.workers.get(sid));
    row.hidden = !visible;
    if (visible) shown += 1;
  }
  byId("team-count").textContent = t("supervisor.showing", { shown: formatNumber(shown), total: formatNumber(state.rows.size) });
}

function tickTimes() {
  for (const row of state.rows.values()) {
    if (row.hidden) continue;
    const cell = row.cells[3];
    cell.textContent = formatDuration(secondsSince(cell.dataset.since));
  }
}

// ---------- agent dialog: state, sign-out, move work, read the chat ----------

function openAgent(workerSid) {
  const worker = state.workers.get(workerSid);
  const dialog = byId("agent-dialog");
  const activity = h(
    "select",
    { id: "agent-activity" },
    ...state.activities.map((entry) => h("option", { value: entry.sid, selected: entry.sid === worker.activity_sid }, entry.name)),
  );
  const close = h("button", { type: "button", class: "button ghost", onclick: () => dialog.close() }, t("common.close"));
  const work = worker.work.length
    ? h("ul", { class: "history" }, ...worker.work.map((item) => workEntry(worker, item)))
    : h("p", { class: "muted small" }, t("team.no_work"));
  dialog.replaceChildren(
    h("h2", { id: "agent-dialog-title" }, worker.name),
    h(
      "form",
      { class: "stack", onsubmit: (event) => changeState(event, worker, activity.value) },
      h("div", { class: "field" }, h("label", { for: "agent-activity" }, t("team.change_state")), activity),
      h("div", { class: "row end" }, h("button", { type: "submit", class: "button primary" }, t("team.apply_state"))),
    ),
    h("h3", {}, t("team.current_work")),
    work,
    h("div", { class: "row", style: "margin-top:1rem" }, h("button", { type: "button", class: "button danger", onclick: () => signOut(worker) }, t("team.sign_out")), h("span", { class: "spacer" }), close),
  );
  dialog.showModal();
}

function workEntry(worker, item) {
  const target = h(
    "select",
    { "aria-label": t("team.move_to") },
    ...state.queues.map((queue) => h("option", { value: `queue:${queue.sid}` }, `${t("call.queue")}: ${queue.name}`)),
    ...[...state.workers.values()]
      .filter((other) => other.sid !== worker.sid && other.available)
      .slice(0, 200)
      .map((other) => h("option", { value: `worker:${other.sid}` }, `${t("call.agent")}: ${other.name}`)),
  );
  const transcript = h("div");
  return h(
    "li",
    {},
    h("div", {}, h("span", { class: `badge ${item.channel}` }, t(`channel.${item.channel}`)), " ", item.customer_name || item.customer_address || "", item.queue_name ? ` · ${item.queue_name}` : ""),
    h(
      "div",
      { class: "row", style: "margin-top:0.4rem" },
      target,
      h("button", { type: "button", class: "button small", onclick: () => moveTask(item, target.value) }, t("team.move")),
      item.conversation_sid
        ? h("button", { type: "button", class: "button small ghost", onclick: () => readChat(item, transcript) }, t("team.read_chat"))
        : null,
    ),
    transcript,
  );
}

async function changeState(event, worker, activitySid) {
  event.preventDefault();
  try {
    await api("POST", `/api/desk/supervisor/workers/${worker.sid}/activity`, { activity_sid: activitySid });
    toast(t("team.state_changed", { name: worker.name }));
    byId("agent-dialog").close();
  } catch (error) {
    reportError(error);
  }
}

async function signOut(worker) {
  if (!confirm(t("team.sign_out_confirm", { name: worker.name }))) return;
  try {
    await api("POST", `/api/desk/supervisor/workers/${worker.sid}/sign-out`);
    toast(t("team.signed_out", { name: worker.name }));
    byId("agent-dialog").close();
  } catch (error) {
    reportError(error);
  }
}

async function moveTask(item, value) {
  const [kind, sid] = value.split(":");
  try {
    await api("POST", `/api/desk/supervisor/tasks/${item.task_sid}/move`, { [`${kind}_sid`]: sid });
    toast(t("team.moved"));
    byId("agent-dialog").close();
  } catch (error) {
    reportError(error);
  }
}

// The chat a supervisor opened keeps growing as messages arrive on the workspace stream.
let watchedChat = null;

function chatLine(message) {
  return h(
    "div",
    { class: `message ${message.direction}`, dataset: { sid: message.sid } },
    h("div", { class: "bubble" }, message.text || `[${message.type}]`),
    h("div", { class: "meta" }, formatTime(message.sent_at)),
  );
}

async function readChat(item, slot) {
  try {
    const data = await api("GET", `/api/conversations/${encodeURIComponent(item.conversation_sid)}/messages`);
    const list = h("div", { class: "messages", role: "log", "aria-label": t("team.read_chat"), style: "max-height:260px" }, ...data.messages.map(chatLine));
    slot.replaceChildren(list);
    list.scrollTop = list.scrollHeight;
    watchedChat = { sid: item.conversation_sid, list };
  } catch (error) {
    reportError(error);
  }
}

function followChat(event) {
  const message = event.data?.message;
  if (!watchedChat || !message || event.data.conversation_sid !== watchedChat.sid) return;
  if (!watchedChat.list.isConnected) {
    watchedChat = null;
    return;
  }
  const existing = watchedChat.list.querySelector(`[data-sid="${CSS.escape(message.sid)}"]`);
  if (existing) existing.replaceWith(chatLine(message));
  else watchedChat.list.append(chatLine(message));
  watchedChat.list.scrollTop = watchedChat.list.scrollHeight;
}

// ---------- push ----------

function onEvent(event) {
  if (event.event_type.startsWith("conversation.message.")) {
    followChat(event);
    return;
  }
  refreshQueues();
  const workerSid = event.worker_sid || event.data?.worker_sid;
  if (!workerSid || !state.workers.has(workerSid)) return;
  if (event.event_type === "worker.activity.update" && event.data?.worker_activity_name) {
    const worker = state.workers.get(workerSid);
    worker.activity_sid = event.data.worker_activity_sid;
    worker.activity_name = event.data.worker_activity_name;
    worker.since = event.event_date;
  }
  state.dirty.add(workerSid);
  flushDirty();
}

async function main() {
  for (const id of ["filter-text", "filter-team", "filter-skill", "filter-state"]) {
    byId(id).addEventListener("input", applyFilters);
  }
  byId("workspace").addEventListener("change", (event) => {
    state.workspaceSid = event.target.value;
    location.search = `?workspace_sid=${encodeURIComponent(state.workspaceSid)}`;
  });
  state.workspaceSid = new URLSearchParams(location.search).get("workspace_sid");
  const snapshot = await loadQueues();
  await loadTeam();
  if (!snapshot.workspace_sid) return;
  const stream = new PushStream(`/api/stream/workspaces/${encodeURIComponent(snapshot.workspace_sid)}`, {
    after: snapshot.last_seq,
    onEvent,
    onOpen: (reconnected) => {
      if (reconnected) {
        refreshQueues();
        loadTeam().catch(reportError);
      }
    },
  });
  stream.start();
  setInterval(() => {
    tickTimes();
    tickLongestWaits();
  }, 1000);
}

main().catch(reportError);

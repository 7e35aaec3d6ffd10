// Boots the board: routes, data, the live stream, the header and the shortcuts.

import { loadConfig, onConfig } from "./agents.js";
import { AcceptDialog } from "./accept.js";
import { CompareDialog } from "./attempts.js";
import { autopilotToggle } from "./autopilot.js";
import { Attention } from "./attention.js";
import { call, loadRoutes, url } from "./api.js";
import { Board } from "./board.js";
import { Detail } from "./detail.js";
import { confirmDialog, NewTaskDialog, SettingsDialog } from "./dialogs.js";
import { clearErrors, showError } from "./errors.js";
import { returnFocusFromDialogs } from "./focus.js";
import { GitPanel } from "./gitpanel.js";
import { Onboarding } from "./onboarding.js";
import { Split } from "./layout.js";
import { el } from "./render.js";
import { rovingFocus } from "./roving.js";
import { Router } from "./router.js";
import { BulkBar } from "./selection.js";
import { loadStates } from "./states.js";
import { UsageDialog } from "./usage.js";

const $ = (selector) => document.querySelector(selector);
let repos = [];
let lastSeq = null;
let source = null;

const confirm = confirmDialog($("#confirm-dialog"));
const board = new Board($("#board"), {
  onOpen: (id) => router.open(id), onSelect: selectionChanged, onTag: filterTag, onCompare: (id) => compare.open(id),
});
const bulk = new BulkBar($("#bulk"), board, { confirm });
rovingFocus($("#board"));
returnFocusFromDialogs();
const acceptDialog = new AcceptDialog($("#accept-dialog"));
const detail = new Detail($("#detail"), {
  confirm,
  accept: acceptDialog,
  onChange: (task) => { board.upsert(task); detail.update(task); },
  onClose: () => router.close(),
  onCompare: (id) => compare.open(id),
});
const compare = new CompareDialog($("#compare-dialog"), {
  confirm,
  accept: acceptDialog,
  onChange: (task) => { board.upsert(task); detail.update(task); compare.update(task); },
});
new Split($("#workspace"), $("#splitter"), $("#detail"));
const router = new Router({ show: showTask, hide: hideTask });
const newTask = new NewTaskDialog($("#new-dialog"), { onCreated: (task) => board.upsert(task) });
const settings = new SettingsDialog($("#settings-dialog"));
const gitPanel = new GitPanel($("#git-dialog"));
new Onboarding($("#onboarding"));
const attention = new Attention($("#totals"), $("#notify"));
const autopilot = autopilotToggle($("#autopilot"));

async function boot() {
  try {
    await loadRoutes();
  } catch (error) {
    if (error.status === 401) {
      location.replace("/login"); // it says how to get a new sign-in link
      return;
    }
    throw error;
  }
  // The settings first: each card drawn asks whether its agent can start.
  await Promise.all([loadStates(), loadConfig()]);
  board.build();
  const header = refreshHeader();
  lastSeq = await board.reload(); // the stream then replays what changed since
  requestAnimationFrame(() => performance.mark("board-painted"));
  await header;
  connect();
  watchEngine();
  router.apply(); // a reload, or a notification from the tray, may name a task
  document.body.dataset.ready = "1";
  sessionStorage.removeItem("wallfacer-reloads"); // see boot.js
}

// --- the board stream: live updates, and catch-up after a drop -----------------

function connect() {
  const query = lastSeq === null ? {} : { last_event_id: lastSeq };
  source = new EventSource(url("boardStream", {}, query));
  source.addEventListener("open", () => {
    $("#banner").hidden = true;
    scheduleHeader(); // counts and totals may have changed while we were away
  });
  source.addEventListener("ready", (event) => { lastSeq = Number(event.lastEventId); });
  source.addEventListener("task-updated", (event) => {
    lastSeq = Number(event.lastEventId);
    const task = JSON.parse(event.data);
    attention.observe(task, board.tasks.get(task.id));
    board.upsert(task);
    detail.update(task);
    compare.update(task);
    scheduleHeader();
  });
  source.addEventListener("task-deleted", (event) => {
    lastSeq = Number(event.lastEventId);
    const { id } = JSON.parse(event.data);
    board.remove(id);
    attention.forget(id);
    if (detail.openId === id) router.close();
    scheduleHeader();
  });
  source.addEventListener("settings-updated", (event) => {
    lastSeq = Number(event.lastEventId);
    autopilot.show(JSON.parse(event.data).autopilot); // toggled in the tray or elsewhere
  });
  source.addEventListener("image-updated", (event) => {
    lastSeq = Number(event.lastEventId);
    showImage(JSON.parse(event.data));
  });
  source.addEventListener("resync", async () => {
    source.close();
    lastSeq = null;
    try {
      lastSeq = await board.reload();
    } catch (error) {
      showError(error);
    }
    connect();
  });
  source.addEventListener("error", () => {
    $("#banner").hidden = false;
    // The browser retries by itself unless the server answered with an error;
    // then we reconnect ourselves, resuming from the last sequence we saw.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
  });
}

// The counts and totals follow a change at once, then at most every 250 ms while
// changes keep coming (a burst asks once more at its end), so a card never sits
// under a count that leaves it out. Quiet on purpose: a background refresh, tried
// again on the next change or reconnect; the banner says when the server is gone.
let headerTimer = null;
let headerAgain = false;
function scheduleHeader() {
  if (headerTimer !== null) {
    headerAgain = true;
    return;
  }
  refreshHeader().catch(() => {});
  headerTimer = setTimeout(() => {
    headerTimer = null;
    if (headerAgain) {
      headerAgain = false;
      scheduleHeader();
    }
  }, 250);
}

// --- sandbox images: shown only while one is being prepared or has failed -----

const images = new Map();

function showImage(status) {
  images.set(status.agent, status);
  const chips = [...images.values()].filter((s) => s.state === "preparing" || s.state === "failed");
  $("#images").replaceChildren(...chips.map((s) => {
    if (s.state === "preparing") {
      return el("span", { class: "chip", title: s.image }, `${s.agent} image: preparing… `, el("small", { text: s.progress }));
    }
    const prepare = () => call("prepareImage", { params: { agent: s.agent } }).catch((error) => showError(error));
    return el("span", { class: "chip failed", "data-image": s.agent },
      el("span", { text: `${s.agent} image failed.` }),
      el("small", { class: "image-hint", text: s.hint }),
      el("button", { "data-log": s.agent, "aria-controls": "image-panel", onclick: () => openImageLog(s.agent), text: "Why?" }),
      el("button", { "data-retry": s.agent, onclick: prepare, text: "Retry" }));
  }));
  const open = $("#image-panel").dataset.agent;
  if (open === status.agent) openImageLog(open);
}

// The failure in full, in a strip of its own between the header and the board:
// it pushes the columns down rather than covering them.
function openImageLog(agent) {
  const s = images.get(agent);
  const panel = $("#image-panel");
  if (!s || s.state !== "failed") {
    panel.hidden = true;
    delete panel.dataset.agent;
    return;
  }
  panel.dataset.agent = agent;
  panel.replaceChildren(
    el("header", {},
      el("h2", { id: "image-panel-title", text: `The ${agent} image could not be prepared` }),
      el("button", { "data-retry": agent, class: "primary", text: "Retry",
        onclick: () => call("prepareImage", { params: { agent } }).catch((error) => showError(error)) }),
      el("button", { text: "Close", onclick: () => openImageLog(null) })),
    el("p", { class: "reason", text: s.error }),
    el("p", { class: "image-hint", text: s.hint }),
    el("p", { class: "hint", text: "Tasks that need this image wait for it; cancel one to stop its wait." }),
    el("pre", { class: "image-log", text: s.log_tail.join("\n") }),
  );
  panel.hidden = false;
}

async function refreshHeader() {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const [stats, repoList, imageList] = await Promise.all([
    call("stats", { query: { since: midnight.toISOString() } }),
    call("listRepos"),
    call("listImages"),
  ]);
  for (const status of imageList.images) showImage(status);
  repos = repoList.repos;
  offerRepo();
  $("#repos").replaceChildren(...repos.map((repo) => el("li", { title: `${repo.path}: git status and push` },
    el("button", { type: "button", class: "repo-chip", onclick: () => gitPanel.open(repo) },
      repo.name, repo.branch ? ` · ${repo.branch}` : "", repo.error ? " · missing" : ""))));
  attention.show(stats);
  board.setCounts(stats.counts);
  board.setQueue(stats.queue);
}

// The new-task form offers each agent the server knows; the board and the
// task panel follow which of them can start.
onConfig(({ agents }) => {
  const options = Object.entries(agents).map(([agent, info]) => el("option", { value: agent, text: info.title }));
  $("#new-agent").replaceChildren($("#new-agent").options[0], ...options);
  board.refresh();
  detail.refresh();
});

// --- first run: no engine, no repository ---------------------------------------------

async function watchEngine() {
  let up = false;
  try {
    up = (await (await fetch("/health")).json()).docker === true;
  } catch {
    up = false;
  }
  $("#engine-missing").hidden = up;
  setTimeout(watchEngine, up ? 15000 : 3000);
}

function offerRepo() {
  const none = repos.length === 0;
  $("#no-repo").hidden = !none;
  $("#pick-folder").hidden = !window.pywebview?.api?.pick_folder;
}

async function addRepo(path) {
  clearErrors($("#no-repo"));
  try {
    await call("addRepo", { body: { path } });
    await refreshHeader();
  } catch (error) {
    showError(error, $("#no-repo"));
  }
}

$("#add-repo").addEventListener("click", () => addRepo($("#repo-path").value.trim()));
$("#repo-path").addEventListener("keydown", (event) => {
  if (event.key === "Enter") addRepo(event.target.value.trim());
});
$("#pick-folder").addEventListener("click", async () => {
  const path = await window.pywebview.api.pick_folder();
  if (path) addRepo(path);
});

// What the address names: a task beside the board, or the board alone.
async function showTask(id) {
  if (detail.openId === id) return;
  const shown = await detail.open(id);
  if (shown === null) return; // another task was asked for meanwhile: that one decides
  if (router.current() !== id) hideTask(); // the address moved on while it loaded
  else if (!shown) router.forget(); // it could not be loaded; the error says why
}

// Focus goes back to the task's card, so the keyboard carries on where it was.
function hideTask() {
  const id = detail.openId;
  if (!id) return;
  detail.close();
  const card = document.querySelector(`.card[data-id="${CSS.escape(id)}"]`);
  if (card) card.focus();
  else board.focusFirst();
}

// --- header buttons and keyboard shortcuts -----------------------------------------

$("#new-task").addEventListener("click", () => newTask.open(repos, [...board.tasks.values()]));
$("#open-settings").addEventListener("click", () => settings.open());
const usage = new UsageDialog($("#usage-dialog"));
$("#open-usage").addEventListener("click", () => usage.open());
$("#search").addEventListener("input", (event) => board.setFilter(event.target.value));
$("#tag-filter").addEventListener("change", (event) => filterTag(event.target.value.trim()));
$("#select-mode").addEventListener("click", () => toggleSelecting());
$("#archive-view").addEventListener("click", () => toggleArchive());

// A tag typed in the header, or clicked on a card: the board shows only its tasks.
function filterTag(tag) {
  $("#tag-filter").value = tag;
  board.setTag(tag).catch((error) => showError(error));
}

function toggleSelecting() {
  board.setSelecting(!board.selected);
}

function selectionChanged() {
  bulk.update();
  $("#select-mode").setAttribute("aria-pressed", String(Boolean(board.selected)));
}

async function toggleArchive() {
  const on = !board.archive;
  $("#archive-view").setAttribute("aria-pressed", String(on));
  if (board.selected) toggleSelecting(); // a selection belongs to the view it was made in
  try {
    await board.setArchive(on);
  } catch (error) {
    showError(error);
  }
}
$("#search").addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === "ArrowDown") {
    event.preventDefault();
    board.search(event.target.value).then(() => board.focusFirst(), (error) => showError(error));
  }
});

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("input, textarea, select, [contenteditable]");
  const modal = document.querySelector("dialog[open]");
  if (event.key === "Escape") {
    if (typing && event.target.id === "search") {
      event.target.value = "";
      board.search("").catch((error) => showError(error));
      event.target.blur();
    } else if (!modal && board.selected && !detail.openId) {
      toggleSelecting();
    } else if (!modal && detail.openId) {
      router.close();
    }
    return;
  }
  if (typing || modal || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "n") {
    event.preventDefault();
    newTask.open(repos, [...board.tasks.values()]);
  } else if (event.key === "/") {
    event.preventDefault();
    $("#search").focus();
  } else if (event.key === "s") {
    toggleSelecting();
  } else if (event.key === "a") {
    toggleArchive();
  }
});

boot().catch((error) => {
  document.body.prepend(el("div", { class: "banner", role: "alert", text: `Could not load the board: ${error.message}` }));
});

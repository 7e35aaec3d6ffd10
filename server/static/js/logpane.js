// The task panel's log: its newest page first, older pages on demand, and then
// what the run prints, followed live and drawn a batch at a time. Apart from the
// panel (detail.js), which only says which task it shows and when.

import { call, url } from "./api.js";
import { showError } from "./errors.js";
import { logNodes } from "./log.js";
import { el } from "./render.js";

const LOG_EVENTS = ["output", "state", "feedback", "error", "system", "dropped"];
// A log opens on its newest entries; older ones come a page at a time, on demand.
const LOG_PAGE = 200;
// While it follows a run, the log shows no more entries than this: the oldest
// go (Show earlier fetches them again), so a chatty agent cannot swamp the page.
const LOG_SHOWN = 1000;
// Live entries are drawn a batch at a time, so a chatty agent costs a layout per
// batch, not per line.
const FLUSH_MS = 50;

export class LogPane {
  // root: the task panel, which holds #detail-log and #detail-earlier.
  constructor(root) {
    this.root = root;
    this.id = null; // the task whose log this is
    this.source = null;
    this.raw = false;
    this.visible = true; // the log tab is the one shown
    this.reset(null);
  }

  // A task's log, from nothing: the newest page is loaded next.
  reset(id) {
    this.id = id;
    this.lastEventId = 0;
    this.earlier = null; // the oldest entry shown, when there are older ones
    this.shown = []; // the ids of the entries shown, oldest first
    this.pending = []; // entries come, not drawn yet
    this.flushTimer = null;
    this.loaded = false; // whether the log's newest page is in
  }

  stop() {
    this.source?.close();
    this.source = null;
    clearTimeout(this.flushTimer);
    this.reset(null);
  }

  get following() {
    return Boolean(this.source);
  }

  setVisible(visible) {
    this.visible = visible;
    this.root.querySelector("#detail-earlier").hidden = !visible || this.earlier === null;
  }

  // Between runs there is no live log stream; entries still happen (an accept,
  // a conflict), so fetch whatever is new.
  async catchUp() {
    const { events } = await call("taskEvents", { params: { id: this.id }, query: { after: this.lastEventId } });
    for (const entry of events) {
      if (entry.id <= this.lastEventId) continue;
      this.lastEventId = entry.id;
      this.appendLog(entry);
    }
  }

  // The newest page of the log; false when it could not be read, or another task
  // was opened meanwhile.
  async loadLatest(id) {
    let page;
    try {
      page = await call("taskEvents", { params: { id }, query: { before: 0, limit: LOG_PAGE } });
    } catch (error) {
      showError(error, this.root);
      return false;
    }
    if (this.id !== id) return false;
    for (const entry of page.events) this.appendLog(entry);
    this.lastEventId = page.events.at(-1)?.id ?? 0;
    this.setEarlier(page.earlier ?? null);
    this.loaded = true;
    return true;
  }

  async loadEarlier() {
    const id = this.id;
    let page;
    try {
      page = await call("taskEvents", { params: { id }, query: { before: this.earlier, limit: LOG_PAGE } });
    } catch (error) {
      showError(error, this.root);
      return;
    }
    if (this.id !== id) return;
    const log = this.root.querySelector("#detail-log");
    const older = el("div"); // a page's results find their calls within it
    for (const entry of page.events) older.append(...this.entryNodes(entry, older));
    const scroller = log.parentElement;
    const height = scroller.scrollHeight;
    log.prepend(...older.childNodes);
    scroller.scrollTop += scroller.scrollHeight - height; // what was in view stays there
    this.shown.unshift(...page.events.map((entry) => entry.id));
    this.setEarlier(page.earlier ?? null);
  }

  setEarlier(id) {
    this.earlier = id;
    this.root.querySelector("#detail-earlier").hidden = id === null || !this.visible;
  }

  follow() {
    this.source?.close();
    const source = new EventSource(url("taskLogs", { id: this.id }, { last_event_id: this.lastEventId || "" }));
    this.source = source;
    for (const type of LOG_EVENTS) {
      source.addEventListener(type, (event) => {
        const entry = JSON.parse(event.data);
        if (entry.id <= this.lastEventId) return;
        this.lastEventId = entry.id;
        this.appendLog(entry);
      });
    }
    source.addEventListener("end", () => {
      source.close();
      if (this.source === source) this.source = null;
    });
  }

  setRaw(raw) {
    this.raw = raw;
    this.root.querySelector("#detail-log").classList.toggle("raw-mode", raw);
    for (const node of this.root.querySelectorAll(".log [data-raw]")) node.hidden = !raw;
    for (const node of this.root.querySelectorAll(".log [data-pretty]")) node.hidden = raw;
  }

  appendLog(entry) {
    this.pending.push(entry);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush() {
    this.flushTimer = null;
    const entries = this.pending.splice(0);
    const log = this.root.querySelector("#detail-log");
    if (!log) return;
    const scroller = log.parentElement;
    const stick = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 40;
    for (const entry of entries) {
      log.append(...this.entryNodes(entry, log));
      this.shown.push(entry.id);
    }
    if (stick) {
      this.trim(log);
      scroller.scrollTop = scroller.scrollHeight;
    }
  }

  // log: where the entry's result may find its call.
  entryNodes(entry, log) {
    const nodes = logNodes(entry, log);
    for (const node of nodes) {
      node.dataset.entry = entry.id;
      if (node.dataset.raw !== undefined) node.hidden = !this.raw;
      if (node.dataset.pretty !== undefined) node.hidden = this.raw;
    }
    return nodes;
  }

  // Only while following the newest entries: someone reading older ones keeps them.
  trim(log) {
    const excess = this.shown.length - LOG_SHOWN;
    if (excess <= 0) return;
    const gone = new Set(this.shown.splice(0, excess).map(String));
    // The rows are in entry order; a result sits in its call's row, which is older.
    for (const node of [...log.children]) {
      if (!gone.has(node.dataset.entry)) break;
      node.remove();
    }
    this.setEarlier(this.shown[0]);
  }
}

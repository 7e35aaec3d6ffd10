// The board: the server's columns of cards, kept in step with its stream.
// Each column loads one page at a time; nothing renders more than it has loaded.
// A search asks the server (every task, not just the loaded ones) and the
// columns then hold its matches only; the archive view is one column of
// archived tasks, searched the same way. A tag filter (?tag=) narrows the
// same requests, alone or with a search.

import { missing } from "./agents.js";
import { call } from "./api.js";
import { renderCard, tick } from "./cards.js";
import { showError } from "./errors.js";
import { prepareSoon } from "./prepare.js";
import { el } from "./render.js";
import * as states from "./states.js";

const PAGE = 100;
const SEARCH_DELAY_MS = 250;
// The one column of the archive view.
const ARCHIVE = { name: "archived", label: "Archived", order: "recent", archived: true };
// The moves a card may make by being dropped on another column; the others
// (accept, cancel, ...) want a deliberate click in the task's panel.
const DROP_ACTIONS = ["start"];

export class Board {
  constructor(root, { onOpen, onSelect, onTag, onCompare }) {
    this.root = root;
    this.onOpen = onOpen;
    this.onSelect = onSelect;
    this.onTag = onTag;
    this.onCompare = onCompare;
    this.tasks = new Map();
    this.cursors = {};
    this.query = "";
    this.tag = "";
    this.searchTimer = null;
    this.archive = false;
    this.counts = null; // tasks per status, from the header's stats
    this.queue = []; // ids waiting for a slot, from the same stats
    this.selected = null; // a Set of ids while selecting, else null
    this.specs = {};
    this.columns = {};
    this.dragging = null;
    this.wireDrag();
    this.wireKeyboard();
    setInterval(() => tick(this.root), 1000);
  }

  // Lays out the columns the server describes; once, before the first load.
  build() {
    const specs = this.archive ? [{ ...ARCHIVE, statuses: states.group("archivable") }] : states.columns();
    this.specs = Object.fromEntries(specs.map((spec) => [spec.name, spec]));
    this.root.classList.toggle("archive-view", this.archive);
    this.root.replaceChildren(...specs.map((spec) => {
      const heading = `h-${spec.name}`;
      const list = el("ol", { class: "cards" });
      this.wireDrop(list, spec.name);
      // Only finished tasks can be archived: their column offers to archive them all.
      const archivable = !spec.archived && spec.statuses.some((s) => states.inGroup("archivable", s));
      return el("section", { class: "column", "data-column": spec.name, "aria-labelledby": heading },
        el("h2", { id: heading }, spec.label, " ", el("span", { class: "count" }),
          archivable ? el("button", { class: "archive-all", text: "Archive all",
            title: `Archive every ${states.group("archivable").map(states.label).join(" or ")} task`,
            onclick: () => this.archiveAll(spec) }) : null),
        list,
        el("button", { class: "more", hidden: true, text: "Show more",
          onclick: () => this.loadPage(spec.name).catch((error) => showError(error)) }));
    }));
    // Each column's parts, found once: every card drawn looks its column up.
    this.columns = {};
    for (const section of this.root.querySelectorAll(".column")) {
      this.columns[section.dataset.column] = {
        list: section.querySelector(".cards"),
        more: section.querySelector(".more"),
        count: section.querySelector(".count"),
      };
    }
  }

  /** Reload every column; resolves to the board stream's sequence to resume from. */
  async reload() {
    this.tasks.clear();
    for (const column of Object.values(this.columns)) column.list.replaceChildren();
    this.cursors = {};
    const seqs = await Promise.all(Object.keys(this.specs).map((name) => this.loadPage(name, true)));
    if (this.counts) this.setCounts(this.counts); // back from a search: the totals again
    return Math.min(...seqs);
  }

  async loadPage(name, first = false) {
    const spec = this.specs[name];
    const query = {
      order: spec.order, archived: String(Boolean(spec.archived)), status: spec.statuses.join(","), limit: PAGE, q: this.query,
    };
    if (this.tag) query.tag = this.tag;
    if (!first) query.cursor = this.cursors[name];
    const asked = this.filter();
    const page = await call("listTasks", { query });
    if (asked !== this.filter() || !this.specs[name]) return page.seq; // a newer search or view replaced this one
    this.cursors[name] = page.next;
    for (const task of page.tasks) this.upsert(task, true);
    const column = this.columns[name];
    column.more.hidden = !page.next;
    if (this.filter() || spec.archived) {
      const shown = column.list.children.length;
      column.count.textContent = `· ${shown}${page.next ? "+" : ""}${this.filter() ? " found" : ""}`;
    }
    return page.seq;
  }

  // The column a task shows in, in this view (null: not shown).
  columnOf(task) {
    if (this.archive) return task.archived ? ARCHIVE.name : null;
    return states.columnOf(task);
  }

  // Returns false for a copy older than the one shown (an HTTP answer that
  // arrives after the stream already told us what happened next).
  // While searching, a task the search did not find stays off the board
  // (``loaded`` marks the search's own answers).
  upsert(task, loaded = false) {
    const previous = this.tasks.get(task.id);
    if (previous && previous.revision > task.revision) return false;
    if (this.filter() && !previous && !loaded) return false;
    // "behind" is counted for the board's pages, not for every change the stream tells.
    if (task.behind === undefined && previous?.behind !== undefined) task = { ...task, behind: previous.behind };
    this.tasks.set(task.id, task);
    // A task never seen has no card yet: no need to look for one.
    const card = previous ? this.root.querySelector(`[data-id="${CSS.escape(task.id)}"]`) : null;
    const column = this.columnOf(task);
    if (!column) {
      card?.remove();
      this.selected?.delete(task.id);
      return true;
    }
    const draggable = !this.selected && Object.keys(this.specs).some((name) => this.dropAction(task, name));
    const fresh = renderCard(task, {
      draggable, selected: this.selected?.has(task.id), badge: this.specs[column].statuses.length > 1, queue: this.queue,
    });
    if (this.archive && task.actions.includes("unarchive")) {
      fresh.append(el("button", { class: "unarchive", "data-unarchive": task.id, text: "Unarchive",
        onclick: (event) => { event.stopPropagation(); this.act(task.id, "unarchive"); } }));
    }
    const list = this.columns[column].list;
    const hadFocus = card && card === document.activeElement;
    if (card && previous && this.columnOf(previous) === column && previous.position === task.position) {
      card.replaceWith(fresh);
    } else {
      card?.remove();
      list.insertBefore(fresh, this.nextSibling(list, column, task));
    }
    if (hadFocus) fresh.focus();
    return true;
  }

  // Draws every card again: whether it may be dragged to start follows its agent's credentials.
  refresh() {
    for (const task of [...this.tasks.values()]) this.upsert(task);
  }

  remove(id) {
    this.tasks.delete(id);
    this.selected?.delete(id);
    this.root.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
  }

  // A column in the person's own order keeps it; the others show the latest first.
  nextSibling(list, column, task) {
    const before = (other) => {
      const peer = this.tasks.get(other.dataset.id);
      if (!peer) return false;
      return this.specs[column].order === "position"
        ? task.position < peer.position
        : task.updated_at > peer.updated_at;
    };
    // A page arrives in the column's own order: each card goes last.
    if (!list.lastElementChild || !before(list.lastElementChild)) return null;
    for (const other of list.children) if (before(other)) return other;
    return null;
  }

  setCounts(counts) {
    this.counts = counts;
    if (this.filter() || this.archive) return; // the loaded matches are counted instead
    for (const [name, column] of Object.entries(this.columns)) {
      const total = this.specs[name].statuses.reduce((sum, s) => sum + (counts[s] || 0), 0);
      column.count.textContent = `· ${total}`;
    }
  }

  // Redraws the cards whose place in the queue for a slot ("2 of 6") changed.
  setQueue(queue) {
    const resized = queue.length !== this.queue.length;
    const moved = new Set([...this.queue, ...queue].filter((id) => resized || this.queue.indexOf(id) !== queue.indexOf(id)));
    this.queue = queue;
    for (const id of moved) if (this.tasks.has(id)) this.upsert(this.tasks.get(id));
  }

  // Debounced: a search per pause in typing, not per key. "" restores the board.
  setFilter(text) {
    clearTimeout(this.searchTimer);
    const delay = text.trim() ? SEARCH_DELAY_MS : 0;
    this.searchTimer = setTimeout(() => this.search(text).catch((error) => showError(error)), delay);
  }

  // The same at once, for a person who pressed Enter to reach the results.
  async search(text) {
    clearTimeout(this.searchTimer);
    const query = text.trim();
    if (query === this.query) return;
    this.query = query;
    await this.reload();
  }

  // What narrows the board now ("": nothing), to tell a stale answer from a current one.
  filter() {
    return this.query || this.tag ? JSON.stringify([this.query, this.tag]) : "";
  }

  // Only the tasks carrying ``tag`` ("": every task), with the search if there is one.
  async setTag(tag) {
    if (tag === this.tag) return;
    this.tag = tag;
    await this.reload();
  }

  setArchive(on) {
    this.archive = on;
    this.build();
    return this.reload();
  }

  // --- selection: cards are picked for a bulk action instead of opened -----------

  setSelecting(on) {
    this.selected = on ? new Set() : null;
    this.root.classList.toggle("selecting", on);
    for (const task of [...this.tasks.values()]) this.upsert(task);
    this.onSelect?.();
  }

  toggle(id) {
    if (!this.selected?.delete(id)) this.selected?.add(id);
    const card = this.root.querySelector(`[data-id="${CSS.escape(id)}"]`);
    card?.setAttribute("aria-selected", String(Boolean(this.selected?.has(id))));
    this.onSelect?.();
  }

  selectedTasks() {
    return [...(this.selected ?? [])].map((id) => this.tasks.get(id)).filter(Boolean);
  }

  async archiveAll(spec) {
    const status = spec.statuses.filter((s) => states.inGroup("archivable", s));
    try {
      const { results } = await call("bulkTasks", { body: { action: "archive", status } });
      for (const result of results) if (result.ok) this.upsert(result.task);
    } catch (error) {
      showError(error);
    }
  }

  // --- drag and drop: within a column in the person's order, a card moves;
  // onto another column, it takes the drop action that leads there ---------

  // "reorder", an action from DROP_ACTIONS, or null where a drop does nothing
  // (a start while the task's agent has no credentials: the panel says why).
  dropAction(task, name) {
    const spec = this.specs[name];
    if (!task || !spec) return null;
    if (name === states.columnOf(task)) {
      return spec.order === "position" && task.actions.includes("edit") ? "reorder" : null;
    }
    const leadsHere = (action) => spec.statuses.includes(states.destination(task.status, action));
    const allowed = (action) => action !== "start" || !missing(task.agent);
    return DROP_ACTIONS.find((action) => task.actions.includes(action) && allowed(action) && leadsHere(action)) ?? null;
  }

  wireDrag() {
    // A card picked up may be about to start: its container is made meanwhile.
    const pickedUp = (event) => {
      const task = this.tasks.get(event.target.closest?.(".card")?.dataset.id);
      if (task?.actions.includes("start") && !missing(task.agent)) prepareSoon(task.id);
    };
    this.root.addEventListener("pointerdown", pickedUp);
    this.root.addEventListener("dragstart", (event) => {
      const card = event.target.closest?.(".card");
      if (!card || !card.draggable) return event.preventDefault();
      pickedUp(event);
      this.dragging = card.dataset.id;
      event.dataTransfer.setData("text/plain", card.dataset.id);
      event.dataTransfer.effectAllowed = "move";
      card.classList.add("dragging");
    });
    this.root.addEventListener("dragend", (event) => {
      this.dragging = null;
      event.target.classList?.remove("dragging");
    });
  }

  wireDrop(list, name) {
    list.addEventListener("dragover", (event) => {
      if (!this.dropAction(this.tasks.get(this.dragging), name)) return;
      event.preventDefault();
      list.classList.add("drop-target");
    });
    list.addEventListener("dragleave", () => list.classList.remove("drop-target"));
    list.addEventListener("drop", (event) => {
      event.preventDefault();
      list.classList.remove("drop-target");
      const id = event.dataTransfer.getData("text/plain");
      const action = this.dropAction(this.tasks.get(id), name);
      if (action === "reorder") this.reorder(id, event.target.closest(".card"));
      else if (action) this.act(id, action);
    });
  }

  async act(id, action) {
    try {
      this.upsert(action === "unarchive"
        ? await call("editTask", { params: { id }, body: { archived: false } })
        : await call(`${action}Task`, { params: { id } }));
    } catch (error) {
      showError(error);
    }
  }

  async reorder(id, target) {
    if (!target || target.dataset.id === id) return;
    const list = target.parentElement;
    const ids = [...list.children].map((c) => c.dataset.id).filter((x) => x !== id);
    const index = ids.indexOf(target.dataset.id);
    const before = this.tasks.get(ids[index - 1]);
    const after = this.tasks.get(ids[index]);
    const position = before ? (before.position + after.position) / 2 : after.position - 1;
    try {
      this.upsert(await call("editTask", { params: { id }, body: { position } }));
    } catch (error) {
      showError(error);
    }
  }

  // --- keyboard: arrows move between cards, Enter opens -------------------------

  wireKeyboard() {
    this.root.addEventListener("keydown", (event) => {
      const card = event.target.closest?.(".card");
      if (!card || event.target !== card) return;
      if (event.key === " " && this.selected) {
        event.preventDefault();
        this.toggle(card.dataset.id);
        return;
      }
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.onOpen(card.dataset.id);
        return;
      }
      const compare = card.querySelector("[data-compare]");
      if (event.key === "c" && compare && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        this.onCompare?.(compare.dataset.compare);
        return;
      }
      const moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      this.focusNeighbour(card, ...move);
    });
    this.root.addEventListener("click", (event) => {
      const compare = event.target.closest?.("[data-compare]");
      if (compare && !this.selected) {
        event.stopPropagation();
        this.onCompare?.(compare.dataset.compare);
        return;
      }
      const chip = event.target.closest?.(".tag[data-tag]");
      if (chip && !this.selected) {
        event.stopPropagation();
        this.onTag?.(chip.dataset.tag);
        return;
      }
      const card = event.target.closest?.(".card");
      if (card && this.selected) this.toggle(card.dataset.id);
      else if (card) this.onOpen(card.dataset.id);
    });
  }

  focusNeighbour(card, dx, dy) {
    const lists = [...this.root.querySelectorAll(".cards")];
    const visible = (list) => [...list.children];
    let col = lists.indexOf(card.parentElement);
    let row = visible(lists[col]).indexOf(card);
    if (dy) {
      visible(lists[col])[row + dy]?.focus();
      return;
    }
    for (col += dx; col >= 0 && col < lists.length; col += dx) {
      const cards = visible(lists[col]);
      if (cards.length) {
        cards[Math.min(row, cards.length - 1)].focus();
        return;
      }
    }
  }

  focusFirst() {
    this.root.querySelector(".card")?.focus();
  }
}

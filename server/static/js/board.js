// The board: the server's columns of cards, kept in step with its stream.
// Each column loads one page at a time; nothing renders more than it has loaded.

import { call } from "./api.js";
import { showError } from "./errors.js";
import { el, elapsed, money } from "./render.js";
import * as states from "./states.js";

const PAGE = 100;
// The moves a card may make by being dropped on another column; the others
// (accept, cancel, ...) want a deliberate click in the task's panel.
const DROP_ACTIONS = ["start"];

export class Board {
  constructor(root, { onOpen }) {
    this.root = root;
    this.onOpen = onOpen;
    this.tasks = new Map();
    this.cursors = {};
    this.filter = "";
    this.specs = {};
    this.dragging = null;
    this.wireDrag();
    this.wireKeyboard();
    setInterval(() => this.tick(), 1000);
  }

  // Lays out the columns the server describes; once, before the first load.
  build() {
    this.specs = Object.fromEntries(states.columns().map((spec) => [spec.name, spec]));
    this.root.replaceChildren(...states.columns().map((spec) => {
      const heading = `h-${spec.name}`;
      const list = el("ol", { class: "cards" });
      this.wireDrop(list, spec.name);
      return el("section", { class: "column", "data-column": spec.name, "aria-labelledby": heading },
        el("h2", { id: heading }, spec.label, " ", el("span", { class: "count" })),
        list,
        el("button", { class: "more", hidden: true, text: "Show more",
          onclick: () => this.loadPage(spec.name).catch((error) => showError(error)) }));
    }));
  }

  columns() {
    const out = {};
    for (const section of this.root.querySelectorAll(".column")) {
      out[section.dataset.column] = {
        section,
        list: section.querySelector(".cards"),
        more: section.querySelector(".more"),
        count: section.querySelector(".count"),
      };
    }
    return out;
  }

  async reload() {
    this.tasks.clear();
    for (const column of Object.values(this.columns())) column.list.replaceChildren();
    this.cursors = {};
    await Promise.all(Object.keys(this.specs).map((name) => this.loadPage(name, true)));
  }

  async loadPage(name, first = false) {
    const spec = this.specs[name];
    const query = { order: spec.order, archived: "false", status: spec.statuses.join(","), limit: PAGE };
    if (!first) query.cursor = this.cursors[name];
    const page = await call("listTasks", { query });
    this.cursors[name] = page.next;
    for (const task of page.tasks) this.upsert(task);
    this.columns()[name].more.hidden = !page.next;
  }

  // Returns false for a copy older than the one shown (an HTTP answer that
  // arrives after the stream already told us what happened next).
  upsert(task) {
    const previous = this.tasks.get(task.id);
    if (previous && previous.revision > task.revision) return false;
    this.tasks.set(task.id, task);
    const card = this.root.querySelector(`[data-id="${CSS.escape(task.id)}"]`);
    const column = states.columnOf(task);
    if (!column) {
      card?.remove();
      return true;
    }
    const draggable = Object.keys(this.specs).some((name) => this.dropAction(task, name));
    const fresh = renderCard(task, draggable);
    const list = this.columns()[column].list;
    const hadFocus = card && card === document.activeElement;
    if (card && previous && states.columnOf(previous) === column && previous.position === task.position) {
      card.replaceWith(fresh);
    } else {
      card?.remove();
      list.insertBefore(fresh, this.nextSibling(list, column, task));
    }
    if (hadFocus) fresh.focus();
    this.applyFilter(fresh);
    return true;
  }

  remove(id) {
    this.tasks.delete(id);
    this.root.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
  }

  // A column in the person's own order keeps it; the others show the latest first.
  nextSibling(list, column, task) {
    for (const other of list.children) {
      const peer = this.tasks.get(other.dataset.id);
      if (!peer) continue;
      const before = this.specs[column].order === "position"
        ? task.position < peer.position
        : task.updated_at > peer.updated_at;
      if (before) return other;
    }
    return null;
  }

  setCounts(counts) {
    for (const [name, column] of Object.entries(this.columns())) {
      const total = this.specs[name].statuses.reduce((sum, s) => sum + (counts[s] || 0), 0);
      column.count.textContent = `· ${total}`;
    }
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    for (const card of this.root.querySelectorAll(".card")) this.applyFilter(card);
  }

  applyFilter(card) {
    const task = this.tasks.get(card.dataset.id);
    const haystack = `${task.title}\n${task.prompt}`.toLowerCase();
    card.hidden = Boolean(this.filter) && !haystack.includes(this.filter);
  }

  tick() {
    for (const span of this.root.querySelectorAll(".card .elapsed[data-running]")) {
      span.textContent = elapsed(span.dataset.from);
    }
  }

  // --- drag and drop: within a column in the person's order, a card moves;
  // onto another column, it takes the drop action that leads there ---------

  // "reorder", an action from DROP_ACTIONS, or null where a drop does nothing.
  dropAction(task, name) {
    const spec = this.specs[name];
    if (!task || !spec) return null;
    if (name === states.columnOf(task)) {
      return spec.order === "position" && task.actions.includes("edit") ? "reorder" : null;
    }
    const leadsHere = (action) => spec.statuses.includes(states.destination(task.status, action));
    return DROP_ACTIONS.find((action) => task.actions.includes(action) && leadsHere(action)) ?? null;
  }

  wireDrag() {
    this.root.addEventListener("dragstart", (event) => {
      const card = event.target.closest?.(".card");
      if (!card || !card.draggable) return event.preventDefault();
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
      this.upsert(await call(`${action}Task`, { params: { id } }));
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
      if (!card) return;
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.onOpen(card.dataset.id);
        return;
      }
      const moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      this.focusNeighbour(card, ...move);
    });
    this.root.addEventListener("click", (event) => {
      const card = event.target.closest?.(".card");
      if (card) this.onOpen(card.dataset.id);
    });
  }

  focusNeighbour(card, dx, dy) {
    const lists = [...this.root.querySelectorAll(".cards")];
    const visible = (list) => [...list.children].filter((c) => !c.hidden);
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
    const first = [...this.root.querySelectorAll(".card")].find((c) => !c.hidden);
    first?.focus();
  }
}

function renderCard(task, draggable) {
  const running = states.inGroup("running", task.status);
  const finished = states.inGroup("finished", task.status);
  const label = states.label(task.status);
  const card = el(
    "li",
    {
      class: "card",
      tabindex: "0",
      draggable: draggable ? "true" : false,
      "data-id": task.id,
      "data-status": task.status,
      "aria-label": `${task.title} (${label})`,
    },
    el("div", { class: "title", text: task.title || "(untitled)" }),
    el(
      "div",
      { class: "meta" },
      el("span", { class: `badge ${task.status}`, text: label }),
      states.inGroup("needs_you", task.status) ? el("span", { class: "needs-you", title: "Needs you", text: "● needs you" }) : null,
      el("span", {
        class: "elapsed",
        "data-from": task.created_at,
        "data-running": running ? "1" : false,
        text: elapsed(task.created_at, finished ? task.updated_at : undefined),
      }),
      task.usage.cost_usd ? el("span", { class: "cost", text: money(task.usage.cost_usd) }) : null,
    ),
  );
  return card;
}

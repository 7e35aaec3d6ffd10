// What needs a person, said where they will see it: the header's totals, a
// count in the page's title, and in a browser a notification when a task newly
// needs them. The desktop window is left to the app's own OS notifications.

import { el, money } from "./render.js";
import * as states from "./states.js";

const TITLE = "Wallfacer";

export class Attention {
  constructor(totals, ask) {
    this.totals = totals;
    this.ask = ask;
    this.seen = new Map(); // task id -> the status it was last seen in
    // Asked only after a click on this button: browsers ignore (and some
    // penalise) a permission prompt that no gesture led to.
    ask.addEventListener("click", async () => {
      await Notification.requestPermission();
      this.offer();
    });
    window.addEventListener("pywebviewready", () => this.offer());
    this.offer();
  }

  // The desktop window's web view: pywebview puts its bridge on the page.
  static desktop() {
    return "pywebview" in window;
  }

  offer() {
    this.ask.hidden = Attention.desktop() || !("Notification" in window) || Notification.permission !== "default";
  }

  // The header and the title, from GET /api/stats; counts follow the server's groups.
  show(stats) {
    const sum = (group) => states.group(group).reduce((n, s) => n + (stats.counts[s] || 0), 0);
    const needsYou = sum("needs_you");
    const queued = stats.queue.length;
    // A count that is zero is left out (but running, the board's pulse): the header is narrow.
    this.totals.replaceChildren(
      `${stats.running} running`,
      queued ? ` · ${queued} queued` : "",
      needsYou ? " · " : "",
      needsYou ? el("span", { class: "needs-you", "data-needs-you": String(needsYou), text: `${needsYou} need${needsYou === 1 ? "s" : ""} you` }) : "",
      ` · ${money(stats.cost_since)} today`,
    );
    document.title = needsYou ? `(${needsYou}) ${TITLE}` : TITLE;
  }

  // Each task the stream reports; `before` is the board's copy, if it had one.
  observe(task, before) {
    const was = this.seen.get(task.id) ?? before?.status;
    this.seen.set(task.id, task.status);
    const now = states.inGroup("needs_you", task.status);
    if (!now || (was && states.inGroup("needs_you", was))) return;
    if (Attention.desktop() || !("Notification" in window) || Notification.permission !== "granted") return;
    const note = new Notification(`${task.plain_title || "A task"}: ${states.label(task.status)}`, {
      body: task.error || "It needs you on the board.",
      tag: `task-${task.id}`,
    });
    note.addEventListener("click", () => {
      window.focus();
      location.hash = `task=${task.id}`;
    });
  }

  forget(id) {
    this.seen.delete(id);
  }
}

// The bulk bar: what can be done to the selected cards, and doing it in one
// request (POST /api/tasks/bulk), which answers task by task.

import { call } from "./api.js";
import { showError } from "./errors.js";
import { el } from "./render.js";

// An action, its button, and how a result reads ("3 of 5 could not be started").
const ACTIONS = [
  ["start", "Start", "started"],
  ["cancel", "Cancel", "cancelled"],
  ["archive", "Archive", "archived"],
  ["unarchive", "Unarchive", "unarchived"],
];

export class BulkBar {
  constructor(root, board, { confirm }) {
    this.root = root;
    this.board = board;
    this.confirm = confirm;
  }

  // Shown while selecting; a button per action some selected task allows, with its count.
  update() {
    this.root.hidden = !this.board.selected;
    if (!this.board.selected) return;
    const tasks = this.board.selectedTasks();
    const buttons = ACTIONS.map(([action, label, done]) => {
      const ids = tasks.filter((task) => task.actions.includes(action)).map((task) => task.id);
      if (!ids.length) return null;
      return el("button", { "data-bulk": action, class: action === "cancel" ? "danger" : false,
        text: `${label} ${ids.length}`, onclick: () => this.run(action, ids, done) });
    });
    const count = tasks.length === 1 ? "1 task selected" : `${tasks.length} tasks selected`;
    this.root.replaceChildren(
      el("span", { class: "count", text: tasks.length ? count : "Click or press Space on cards to select them" }),
      ...buttons.filter(Boolean),
      el("button", { text: "Done", onclick: () => this.board.setSelecting(false) }),
    );
  }

  async run(action, ids, done) {
    const tasks = ids.length === 1 ? "1 task" : `${ids.length} tasks`;
    if (action === "cancel" && !(await this.confirm(
      `Cancel ${tasks}? Their runs stop, and their workspaces and unmerged work are discarded.`,
      `Cancel ${tasks}`))) return;
    try {
      const { results } = await call("bulkTasks", { body: { action, ids } });
      const failed = results.filter((result) => !result.ok);
      for (const result of results) {
        if (!result.ok) continue;
        this.board.upsert(result.task);
        this.board.selected?.delete(result.id);
      }
      this.board.setSelecting(Boolean(failed.length)); // keep what still needs a look
      for (const result of failed) this.board.toggle(result.id);
      if (failed.length) {
        showError(new Error(`${failed.length} of ${ids.length} could not be ${done}: ${failed[0].error}`));
      }
    } catch (error) {
      showError(error);
    }
  }
}

// The attempts of one prompt side by side: each member's status, agent and model,
// cost and diff (the task's own diff API, capped per file like the Diff tab), and
// Accept on the one to keep. Accepting cancels the others and discards their work,
// so it asks first, naming them. Also the form that starts attempts.

import { agents } from "./agents.js";
import { call } from "./api.js";
import { clearErrors, showError } from "./errors.js";
import { DiffView } from "./diffview.js";
import { el, money } from "./render.js";
import { inGroup, label } from "./states.js";

const MIN_ATTEMPTS = 2;
const MAX_ATTEMPTS = 5;

// The group a card or task belongs to, if any: its original's id.
export function groupOf(task) {
  return task.attempt_of || (task.attempts ? task.id : "");
}

// "Original" or "Attempt N", N counted in the order they were made.
function memberName(task, tasks) {
  return task.attempt_of ? `Attempt ${tasks.filter((t) => t.attempt_of).findIndex((t) => t.id === task.id) + 1}` : "Original";
}

// Accepting one member cancels the others and discards their work: ask first, naming
// them (true when there are none). Whichever way the accept was reached.
export async function confirmAccept(task, confirm) {
  if (!groupOf(task)) return true;
  const { tasks } = await call("taskAttempts", { params: { id: task.id } });
  const others = tasks.filter((t) => t.id !== task.id && inGroup("attemptable", t.status));
  if (!others.length) return true;
  const names = others.map((t) => memberName(t, tasks)).join(", ");
  return confirm(`Accept ${memberName(task, tasks)}? The other attempts of this prompt are cancelled, their work discarded: ${names}.`,
    "Accept and cancel the others");
}

export class CompareDialog {
  // onChange(task): a task the server answered with (started, accepted); accept: the
  // commit message dialog of the normal accept.
  constructor(dialog, { confirm, accept, onChange }) {
    this.dialog = dialog;
    this.confirm = confirm;
    this.acceptDialog = accept;
    this.onChange = onChange;
    this.body = dialog.querySelector("[data-body]");
    this.statuses = new Map(); // id -> status shown, to redraw when one moves
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  }

  async open(id) {
    this.id = id;
    if (await this.load()) this.dialog.showModal();
  }

  // Called with every board update: a member that moved (or a new one) is redrawn.
  update(task) {
    if (!this.dialog.open || !this.group) return;
    const ours = this.statuses.has(task.id) || task.attempt_of === this.group.original;
    if (ours && this.statuses.get(task.id) !== task.status) this.load();
    const cost = this.body.querySelector(`.attempt[data-id="${CSS.escape(task.id)}"] .cost`);
    if (cost) cost.textContent = money(task.usage.cost_usd);
  }

  async load() {
    try {
      this.group = await call("taskAttempts", { params: { id: this.id } });
    } catch (error) {
      showError(error);
      return false;
    }
    const tasks = this.group.tasks;
    this.statuses = new Map(tasks.map((task) => [task.id, task.status]));
    const original = tasks.find((task) => task.id === this.group.original);
    // An original that never ran (it has no branch) has nothing to compare.
    const ran = tasks.filter((task) => task.status !== "backlog" && (task.attempt_of || task.branch));
    this.dialog.querySelector("[data-title]").textContent = tasks[0].title;
    this.body.replaceChildren(
      ran.length
        ? el("div", { class: "attempts-grid" }, ran.map((task) => this.column(task)))
        : el("p", { class: "hint", text: "No attempt has run yet." }),
      original?.status === "backlog"
        ? el("p", { class: "hint", text: "The original has not run: it is cancelled once an attempt is accepted." })
        : null,
      original && inGroup("attemptable", original.status) ? this.startForm(original) : null,
    );
    return true;
  }

  name(task) {
    return memberName(task, this.group.tasks);
  }

  column(task) {
    const agent = agents()[task.agent]?.title ?? task.agent;
    const diff = el("div", { class: "attempt-diff" }, el("p", { class: "hint", text: "Loading the diff…" }));
    this.loadDiff(task, diff);
    return el("section", { class: "attempt", "data-id": task.id, "aria-label": this.name(task) },
      el("header", {},
        el("h3", { text: this.name(task) }),
        el("span", { class: `badge ${task.status}`, text: label(task.status) }),
        el("span", { class: "agent", text: task.model ? `${agent} · ${task.model}` : agent }),
        el("span", { class: "cost", title: "Cost so far", text: money(task.usage.cost_usd) }),
        task.actions.includes("accept")
          ? el("button", { type: "button", class: "primary", "data-accept": task.id, text: "Accept this one",
            onclick: () => this.accept(task) })
          : null),
      diff);
  }

  async loadDiff(task, box) {
    try {
      const data = await call("taskDiff", { params: { id: task.id } });
      box.replaceChildren(new DiffView({ onSend: async () => false }).render(data, false));
    } catch (error) {
      box.replaceChildren(el("p", { class: "field-error", text: error.message }));
    }
  }

  // The normal accept, once the person has seen what it discards.
  async accept(task) {
    try {
      if (await confirmAccept(task, this.confirm)) this.acceptDialog.open(task, this.onChange);
    } catch (error) {
      showError(error, this.body);
    }
  }

  startForm(original) {
    const rows = el("ol", { class: "attempt-specs" });
    const add = () => {
      if (rows.children.length < MAX_ATTEMPTS) rows.append(specRow(original));
    };
    for (let i = 0; i < MIN_ATTEMPTS; i += 1) add();
    const form = el("form", { class: "start-attempts", novalidate: true },
      el("h3", { text: original.attempts ? "Run more attempts" : "Run attempts" }),
      el("p", { class: "hint", text: `${MIN_ATTEMPTS} to ${MAX_ATTEMPTS} runs of this prompt at once, each on its own branch; they queue for a slot like any start.` }),
      rows,
      el("p", { class: "field-error", "data-for": "form", role: "alert" }),
      el("div", { class: "buttons" },
        el("button", { type: "button", "data-add": true, text: "Add an attempt", onclick: add }),
        el("button", { type: "submit", class: "primary", text: "Start attempts" })));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const attempts = [...rows.children].map((row) => ({
        agent: row.querySelector("select").value, model: row.querySelector("input").value.trim(),
      }));
      try {
        const made = await call("startAttempts", { params: { id: original.id }, body: { attempts } });
        for (const task of made.attempts) this.onChange(task);
        await this.load();
      } catch (error) {
        showError(error, form);
      }
    });
    return form;
  }
}

function specRow(original) {
  const known = agents();
  return el("li", {},
    el("select", { name: "agent", "aria-label": "Agent" }, Object.entries(known).map(([name, agent]) =>
      el("option", { value: name, selected: name === original.agent, text: agent.title ?? name }))),
    el("input", { name: "model", "aria-label": "Model", placeholder: "the agent's default model", value: original.model }));
}

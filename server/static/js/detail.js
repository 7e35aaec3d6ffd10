// The task detail panel: prompt, live log, diff, usage, and the actions valid now.

import { missing } from "./agents.js";
import { call } from "./api.js";
import { confirmAccept, groupOf } from "./attempts.js";
import { clearErrors, showError } from "./errors.js";
import { conflictView, DiffView } from "./diffview.js";
import { LogPane } from "./logpane.js";
import { prepareSoon } from "./prepare.js";
import { previewForm } from "./preview.js";
import { el, money } from "./render.js";
import { spanNodes } from "./spans.js";
import { inGroup, label } from "./states.js";
import { taskFields } from "./taskfields.js";
import { verdictView } from "./verdict.js";

// A button for each action a task may list, in the order they are shown;
// task.actions decides which appear. Feedback has its own form below them.
const BUTTONS = [
  ["start", "Start", "primary"],
  ["accept", "Accept & merge", "primary"],
  ["resume", "Resume", "primary"],
  ["retry", "Retry"],
  ["sync", "Sync", "", "Rebase the change onto the default branch's latest commit, without merging it"],
  ["verify", "Test", "", "A verifier session judges the change: PASS or FAIL, with its reasons"],
  ["archive", "Archive"],
  ["unarchive", "Unarchive"],
  // The ones that discard work go last, set apart from Accept.
  ["cancel", "Cancel task", "danger apart"],
  ["delete", "Delete", "danger"],
];

export class Detail {
  // onClose asks for the detail to close: the router decides (and clears the address).
  constructor(root, { confirm, accept, onChange, onClose, onCompare }) {
    this.root = root;
    this.onClose = onClose;
    this.onCompare = onCompare;
    this.confirm = confirm;
    this.accept = accept;
    this.onChange = onChange;
    this.task = null;
    this.log = new LogPane(root);
    this.tab = "log";
  }

  get openId() {
    return this.root.hidden ? null : this.task?.id;
  }

  // Whether the task was drawn (false: it could not be loaded, the error shown); null
  // once a later open took over: only the newest draws, whichever answers first.
  async open(id) {
    const ticket = (this.opening = (this.opening ?? 0) + 1);
    this.close();
    let task;
    try {
      task = await call("getTask", { params: { id } });
    } catch (error) {
      if (ticket !== this.opening) return null;
      showError(error);
      return false;
    }
    if (ticket !== this.opening) return null;
    this.task = task;
    this.log.reset(id);
    this.tab = "log";
    this.diffView = new DiffView({ onSend: (message) => this.sendFeedback(message) });
    this.conflictsOf = null; // the revision whose conflicting hunks are shown
    this.root.hidden = false;
    this.render();
    this.root.querySelector("[data-close]").focus();
    if (await this.log.loadLatest(id)) this.log.follow();
    return ticket === this.opening ? true : null;
  }

  close() {
    this.log.stop();
    this.task = null;
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  // Called when the settings change: which actions may be taken can follow them.
  refresh() {
    if (this.task) this.renderHead();
  }

  // Called with every board update; keeps the panel true without reloading the log.
  update(task) {
    if (!this.task || task.id !== this.task.id || task.revision < this.task.revision) return;
    const resumed = inGroup("live_log", task.status) && !this.log.following;
    this.task = task;
    this.renderHead();
    if (!this.log.loaded) return; // open follows once the newest page is in
    if (resumed) this.log.follow();
    // Quiet on purpose: a background refresh; the next update catches up again.
    else if (!this.log.following) this.log.catchUp().catch(() => {});
    if (this.tab !== "log") this.showTab(this.tab);
  }

  render() {
    this.root.replaceChildren(
      el("header", {},
        el("h2", { id: "detail-title" }),
        el("span", { class: "badge", id: "detail-status" }),
        el("button", { "data-close": true, title: "Close (Esc)", onclick: () => this.onClose() },
          el("span", { class: "back", text: "← Back" }), el("span", { class: "close", text: "Close" })),
      ),
      el("div", { class: "body" },
        el("div", { id: "detail-reason" }),
        el("div", { id: "detail-verdict" }),
        el("div", { id: "detail-conflicts" }),
        el("div", { class: "buttons", id: "detail-actions" }),
        el("p", { class: "field-error", "data-for": "form", role: "alert" }),
        el("div", { id: "detail-feedback" }),
        el("div", { id: "detail-preview" }),
        this.fields = taskFields((task) => this.onChange(task)),
        el("p", { class: "hint", id: "detail-repos" }),
        el("h3", { text: "Prompt" }),
        el("pre", { class: "prompt", id: "detail-prompt" }),
        el("div", { class: "tabs", role: "tablist" },
          ...["log", "diff", "usage"].map((name) =>
            el("button", { role: "tab", "data-tab": name, onclick: () => this.showTab(name), text: name[0].toUpperCase() + name.slice(1) })),
          el("label", { class: "hint raw-toggle" },
            el("input", { type: "checkbox", id: "raw-toggle", onchange: (e) => this.log.setRaw(e.target.checked) }), " raw"),
        ),
        el("button", { id: "detail-earlier", class: "earlier", hidden: true, text: "Show earlier output",
          onclick: () => this.log.loadEarlier() }),
        el("div", { class: "log", id: "detail-log", role: "log", "aria-live": "polite" }),
        el("div", { id: "detail-pane", hidden: true }),
      ),
    );
    this.renderHead();
    this.showTab("log");
  }

  renderHead() {
    const task = this.task;
    const q = (id) => this.root.querySelector(id);
    q("#detail-title").textContent = task.title || "(untitled)";
    const badge = q("#detail-status");
    badge.className = `badge ${task.status}`;
    badge.textContent = label(task.status);
    q("#detail-prompt").textContent = task.prompt;
    this.fields.show(task);
    q("#detail-repos").replaceChildren(...spanNodes(task));

    const reason = q("#detail-reason");
    reason.replaceChildren();
    this.showConflicts();
    if (task.error) {
      reason.append(el("div", { class: "reason", role: "alert" },
        el("div", { text: task.error }),
        task.conflict_files.length
          ? el("ul", {}, task.conflict_files.map((f) => el("li", {}, el("code", { text: f }))))
          : null));
    }

    q("#detail-verdict").replaceChildren(...verdictView(task.verdict));

    const actions = new Set(task.actions);
    // The server would refuse the start (422); say why before anyone tries.
    const blocked = actions.has("start") ? missing(task.agent) : "";
    // Pointed at or focused, Start is likely next: its container is made meanwhile.
    const ahead = (name) => (name === "start" && !blocked ? () => prepareSoon(task.id) : undefined);
    const buttons = BUTTONS.filter(([name]) => actions.has(name)).map(([name, text, cls, title]) =>
      el("button", { class: cls, "data-action": name, onclick: () => this.act(name), text, title,
        onpointerenter: ahead(name), onfocus: ahead(name),
        disabled: name === "start" && Boolean(blocked), "aria-describedby": name === "start" && blocked ? "detail-blocked" : undefined }));
    const apart = buttons.findIndex((button) => button.classList.contains("danger"));
    buttons.splice(apart < 0 ? buttons.length : apart, 0, ...this.attemptsButton(task));
    q("#detail-actions").replaceChildren(...buttons,
      ...(blocked ? [el("p", { class: "hint blocked", id: "detail-blocked", text: `${blocked}.` })] : []));

    const feedback = q("#detail-feedback");
    if (actions.has("feedback") && !feedback.querySelector("form")) {
      const box = el("textarea", { id: "feedback-text", name: "message", "aria-label": "Feedback for the agent", placeholder: "Answer the agent… (Ctrl+Enter to send)" });
      const form = el("form", { class: "feedback" }, box, el("div", { class: "buttons" },
        el("button", { type: "submit", "data-action": "feedback", text: "Send feedback" })));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendFeedback(box.value);
      });
      box.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
      });
      feedback.replaceChildren(form);
    } else if (!actions.has("feedback")) {
      feedback.replaceChildren();
    }

    // Only a running task has a container to show; a port being typed is kept.
    const preview = q("#detail-preview");
    if (task.status !== "in_progress") preview.replaceChildren();
    else if (!preview.querySelector("form")) preview.replaceChildren(previewForm(task, preview));
  }

  // The comparison of a prompt's attempts, where more of them are started too.
  attemptsButton(task) {
    const group = groupOf(task);
    if (!group && (!inGroup("attemptable", task.status) || task.attempt_of)) return [];
    return [el("button", { type: "button", "data-action": "attempts", onclick: () => this.onCompare(group || task.id),
      text: group ? "Compare attempts" : "Run attempts…", title: "Run this prompt several times, with other agents or models, and keep the best" })];
  }

  // Every button's click: a status move is the route named after it.
  async act(action) {
    const params = { id: this.task.id };
    clearErrors(this.root);
    try {
      if (action === "accept") {
        if (await confirmAccept(this.task, this.confirm)) this.accept.open(this.task, (task) => this.onChange(task));
      } else if (action === "cancel") {
        if (!(await this.confirmCancel())) return;
        this.onChange(await call("cancelTask", { params }));
      } else if (action === "delete") {
        if (!(await this.confirm(`Delete “${this.task.title}”? Its log and any unmerged work are lost.`))) return;
        await call("deleteTask", { params });
        this.onClose();
      } else if (action === "archive" || action === "unarchive") {
        this.onChange(await call("editTask", { params, body: { archived: action === "archive" } }));
        if (action === "archive") this.onClose();
      } else {
        this.onChange(await call(`${action}Task`, { params }));
      }
    } catch (error) {
      showError(error, this.root);
    }
  }

  // Cancel discards the workspace: say how much, and ask.
  async confirmCancel() {
    const { files } = await call("taskDiff", { params: { id: this.task.id } });
    const what = files.length === 1 ? "1 file changed" : `${files.length} files changed`;
    return this.confirm(`Cancel “${this.task.title}”? Its run stops and its work is discarded: ${what}.`,
      "Cancel the task");
  }

  // Resolves true once sent (the diff's comments are then cleared).
  async sendFeedback(message) {
    clearErrors(this.root);
    try {
      this.onChange(await call("feedbackTask", { params: { id: this.task.id }, body: { message } }));
      this.root.querySelector("#detail-feedback").replaceChildren();
      return true;
    } catch (error) {
      showError(error, this.root);
      return false;
    }
  }

  // After an accept conflicted: the hunks where the change meets the default branch.
  async showConflicts() {
    const box = this.root.querySelector("#detail-conflicts");
    const task = this.task;
    if (!task.conflict_files.length) {
      box.replaceChildren();
      this.conflictsOf = null;
      return;
    }
    if (this.conflictsOf === task.revision) return;
    this.conflictsOf = task.revision;
    try {
      const data = await call("taskConflicts", { params: { id: task.id } });
      if (this.task?.id === task.id) box.replaceChildren(conflictView(data, task.base_branch));
    } catch (error) {
      showError(error, this.root);
    }
  }

  // --- diff and usage tabs -------------------------------------------------------

  async showTab(name) {
    this.tab = name;
    for (const tab of this.root.querySelectorAll("[role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    }
    const log = this.root.querySelector("#detail-log");
    const pane = this.root.querySelector("#detail-pane");
    log.hidden = name !== "log";
    pane.hidden = name === "log";
    this.log.setVisible(name === "log");
    this.root.querySelector(".raw-toggle").hidden = name !== "log"; // it acts on the log only
    try {
      if (name === "diff") {
        const diff = await call("taskDiff", { params: { id: this.task.id } });
        pane.replaceChildren(this.diffView.render(diff, this.task.actions.includes("feedback")));
      } else if (name === "usage") {
        const { turns } = await call("taskTurns", { params: { id: this.task.id } });
        pane.replaceChildren(usageTable(turns, this.task.usage));
      }
    } catch (error) {
      showError(error, this.root);
    }
  }
}

function usageTable(turns, total) {
  const cols = ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"];
  const head = el("tr", {}, el("th", { text: "turn" }), el("th", { text: "activity" }), cols.map((c) => el("th", { text: c.replace(/_/g, " ") })), el("th", { text: "cost" }));
  // A verifier's or a helper's turn counts in the task's cost, named apart from its runs'.
  const rows = turns.map((turn, i) => el("tr", {}, el("td", { text: i + 1 }), el("td", { class: "activity", text: turn.activity }), cols.map((c) => el("td", { text: turn[c] })), el("td", { text: money(turn.cost_usd) })));
  const sum = el("tr", {}, el("th", { text: "total" }), el("th"), cols.map((c) => el("th", { text: total[c] })), el("th", { text: money(total.cost_usd) }));
  return el("table", { class: "usage" }, el("thead", {}, head), el("tbody", {}, rows), el("tfoot", {}, sum));
}

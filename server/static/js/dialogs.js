// The new-task form, the settings dialog and the delete confirmation.

import { setConfig } from "./agents.js";
import { call } from "./api.js";
import { clearErrors, showError } from "./errors.js";
import { el } from "./render.js";
import { alsoBoxes, chosenAlso } from "./spans.js";
import * as states from "./states.js";

function wireClose(dialog) {
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
}

export class NewTaskDialog {
  constructor(dialog, { onCreated }) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.onCreated = onCreated;
    this.templates = [];
    wireClose(dialog);
    this.form.template.addEventListener("change", () => this.pickTemplate());
    dialog.querySelector("#save-template").addEventListener("click", () => this.saveTemplate());
    dialog.querySelector("#delete-template").addEventListener("click", () => this.deleteTemplate());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.form.prompt.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.submit();
      }
    });
  }

  // `tasks`: the board's; the unfinished ones may be chosen to wait for.
  open(repos, tasks = []) {
    this.form.reset();
    clearErrors(this.form);
    const select = this.form.repo;
    select.replaceChildren(...repos.map((repo) => el("option", { value: repo.path, text: repo.name })));
    const waitable = tasks.filter((task) => !task.archived && !states.inGroup("finished", task.status));
    this.form.depends_on.replaceChildren(...waitable.map((task) =>
      el("option", { value: task.id, text: task.plain_title || "(untitled)" })));
    this.dialog.querySelector("#new-repo-row").hidden = repos.length < 2;
    const also = this.dialog.querySelector("#new-also");
    also.replaceChildren();
    select.onchange = () => alsoBoxes(also, repos, select.value);
    select.onchange();
    this.dialog.showModal();
    this.form.prompt.focus();
    this.loadTemplates();
  }

  // --- templates: a chosen one fills the prompt, and asks for its variables ------

  async loadTemplates(chosen = "") {
    try {
      this.templates = (await call("listTemplates")).templates;
    } catch (error) {
      showError(error, this.form);
      return;
    }
    this.form.template.replaceChildren(el("option", { value: "", text: "None: write the prompt" }),
      ...this.templates.map((template) => el("option", { value: template.id, text: template.name })));
    this.form.template.value = chosen;
    this.pickTemplate();
  }

  chosenTemplate() {
    return this.templates.find((template) => template.id === this.form.template.value);
  }

  pickTemplate() {
    const template = this.chosenTemplate();
    this.form.prompt.readOnly = Boolean(template);
    if (template) this.form.prompt.value = template.text;
    this.dialog.querySelector("#delete-template").hidden = !template;
    this.dialog.querySelector("#new-variables").replaceChildren(...(template?.variables ?? []).map((name) =>
      el("label", {}, el("span", { text: name }), el("input", { "data-variable": name, "aria-label": `Template variable ${name}` }))));
  }

  async saveTemplate() {
    const body = { name: this.dialog.querySelector("#new-template-name").value, text: this.form.prompt.value };
    try {
      const saved = await call("createTemplate", { body });
      clearErrors(this.form);
      this.dialog.querySelector("#new-template-name").value = "";
      await this.loadTemplates(saved.id);
    } catch (error) {
      showError(error, this.form);
    }
  }

  async deleteTemplate() {
    try {
      await call("deleteTemplate", { params: { id: this.form.template.value } });
      await this.loadTemplates();
    } catch (error) {
      showError(error, this.form);
    }
  }

  async submit() {
    const template = this.chosenTemplate();
    const body = template ? { template: template.id, variables: {} } : { prompt: this.form.prompt.value };
    for (const input of this.dialog.querySelectorAll("#new-variables [data-variable]")) {
      body.variables[input.dataset.variable] = input.value;
    }
    if (this.form.title.value.trim()) body.title = this.form.title.value.trim();
    if (this.form.repo.value) body.repo = this.form.repo.value;
    const also = chosenAlso(this.dialog.querySelector("#new-also"));
    if (also.length) body.also = also;
    if (this.form.agent.value) body.agent = this.form.agent.value;
    if (this.form.model.value.trim()) body.model = this.form.model.value.trim();
    const tags = this.form.tags.value.split(",").map((tag) => tag.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    if (this.form.budget_usd.value !== "") body.budget_usd = Number(this.form.budget_usd.value);
    const after = [...this.form.depends_on.selectedOptions].map((option) => option.value);
    if (after.length) body.depends_on = after;
    // The browser's local time, sent with its zone.
    if (this.form.scheduled_at.value) body.scheduled_at = new Date(this.form.scheduled_at.value).toISOString();
    try {
      const task = await call("createTask", { body });
      this.dialog.close();
      this.onCreated(task);
    } catch (error) {
      showError(error, this.form);
    }
  }
}

const NUMBERS = new Set(["max_parallel", "cpus", "timeout_min", "pids_limit", "diff_file_kb", "output_cap_mb",
  "default_budget_usd", "workspace_pool", "conflict_rounds"]);
const LISTS = new Set(["egress_allow"]); // comma-separated in the form
const CHECKS = new Set(["host_access", "auto_test", "auto_accept", "helpers"]);
const TEXTS = new Set(["instructions"]); // sent as typed, even empty
const FIELDS = ["default_agent", "instructions", "max_parallel", "cpus", "memory", "pids_limit", "timeout_min",
  "diff_file_kb", "output_cap_mb", "default_budget_usd", "workspace_pool", "conflict_rounds", "auto_test",
  "auto_accept", "helpers", "egress", "egress_allow", "host_access", "network", "setup_script"];
// Left out of a save when empty: the server keeps its value.
const KEEP_WHEN_EMPTY = new Set(["default_agent", "max_parallel", "timeout_min", "pids_limit", "diff_file_kb",
  "output_cap_mb", "workspace_pool", "conflict_rounds", "egress"]);
const PINNED = "Set on the command line for this run";
const PRICE_COLUMNS = [["input", "Input"], ["cached_input", "Cached input"], ["output", "Output"]];

export class SettingsDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.saved = dialog.querySelector("#settings-saved");
    this.removed = new Set();
    wireClose(dialog);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.form.addEventListener("input", () => { this.saved.textContent = ""; });
  }

  async open() {
    let config;
    try {
      config = await call("getConfig");
    } catch (error) {
      showError(error);
      return;
    }
    this.fill(config);
    this.dialog.showModal();
  }

  fill(config) {
    this.removed.clear();
    clearErrors(this.form);
    this.saved.textContent = "";
    this.form.elements.default_agent.replaceChildren(...Object.entries(config.agents).map(([agent, info]) =>
      el("option", { value: agent, text: info.title })));
    for (const name of FIELDS) {
      const input = this.form.elements[name];
      if (CHECKS.has(name)) input.checked = Boolean(config[name]);
      else if (LISTS.has(name)) input.value = (config[name] ?? []).join(", ");
      else input.value = config[name] ?? "";
      input.disabled = config.pinned.includes(name);
      input.title = input.disabled ? PINNED : "";
    }
    // One image field per agent the server knows; empty means its bundled image.
    this.dialog.querySelector("#cfg-images").replaceChildren(...Object.entries(config.agents).flatMap(([agent, info]) => {
      const pinned = config.pinned.includes(`images.${agent}`);
      const configured = config.images[agent] ?? "";
      return [
        el("label", { for: `cfg-image-${agent}`, text: `${info.title} image` }),
        el("input", { id: `cfg-image-${agent}`, name: `images.${agent}`, "data-agent": agent, value: configured,
          placeholder: "the bundled one, built on first use", "aria-describedby": `cfg-image-${agent}-in-use`,
          disabled: pinned, title: pinned ? PINNED : undefined }),
        el("small", { class: "hint in-use", id: `cfg-image-${agent}-in-use` }, "In use: ", el("code", { text: info.image }),
          configured ? "" : " (bundled)"),
      ];
    }));
    this.dialog.querySelector("#cfg-prices").replaceChildren(...Object.entries(config.prices).map(([agent, table]) =>
      priceTable(agent, config.agents[agent]?.title ?? agent, table, config.pinned.includes(`prices.${agent}`))));
    this.dialog.querySelector("#env-hint").replaceChildren(...Object.entries(config.agents).map(([agent, info]) =>
      el("li", { text: `${agent}: ${info.help || info.credentials.join(" or ")}; endpoint ${info.endpoint}${info.missing ? " (not set yet)" : ""}` })));
    const rows = this.dialog.querySelector("#env-rows");
    rows.replaceChildren(...config.env.map(({ key, value }) => {
      const input = el("input", { type: "password", placeholder: value, "aria-label": `New value for ${key}`, "data-key": key });
      const remove = el("button", { type: "button", text: "Remove", onclick: () => { this.removed.add(key); row.remove(); } });
      const row = el("li", {}, el("code", { text: key }), input, remove);
      return row;
    }));
    this.form.querySelector("#env-new-key").value = "";
    this.form.querySelector("#env-new-value").value = "";
  }

  async save() {
    const body = {};
    for (const name of FIELDS) {
      const input = this.form.elements[name];
      if (input.disabled) continue;
      const text = input.value.trim();
      if (CHECKS.has(name)) body[name] = input.checked;
      else if (TEXTS.has(name)) body[name] = input.value;
      else if (LISTS.has(name)) body[name] = text.split(",").map((h) => h.trim()).filter(Boolean);
      else if (text === "" && KEEP_WHEN_EMPTY.has(name)) continue;
      else body[name] = text === "" ? null : NUMBERS.has(name) ? Number(text) : text;
    }
    const images = {};
    for (const input of this.dialog.querySelectorAll("#cfg-images input:enabled")) {
      images[input.dataset.agent] = input.value.trim();
    }
    if (Object.keys(images).length) body.images = images;
    const prices = {};
    for (const table of this.dialog.querySelectorAll("#cfg-prices table:not([data-pinned])")) {
      prices[table.dataset.agent] = readPrices(table);
    }
    if (Object.keys(prices).length) body.prices = prices;
    const env = {};
    for (const input of this.form.querySelectorAll("#env-rows input")) {
      if (input.value) env[input.dataset.key] = input.value;
    }
    for (const key of this.removed) env[key] = null;
    const newKey = this.form.querySelector("#env-new-key").value.trim();
    if (newKey) env[newKey] = this.form.querySelector("#env-new-value").value;
    if (Object.keys(env).length) body.env = env;
    try {
      const config = await call("putConfig", { body });
      setConfig(config);
      this.fill(config);
      this.saved.textContent = "Saved";
    } catch (error) {
      showError(error, this.form);
    }
  }
}

// An agent's price table (USD per million tokens, per model; "default" for any
// other model), as rows of inputs; a row without a model name is left out.
function priceTable(agent, title, table, pinned) {
  const body = el("tbody");
  const addRow = (model = "", row = {}) => {
    const cells = PRICE_COLUMNS.map(([key, text]) => el("td", {}, el("input", { type: "number", min: "0", step: "any",
      "data-price": key, value: row[key] ?? "", "aria-label": `${text} price for ${model || "the new model"}`, disabled: pinned })));
    const tr = el("tr", {},
      el("td", {}, el("input", { "data-model": "", value: model, "aria-label": `${title} model`, disabled: pinned })),
      ...cells,
      el("td", {}, el("button", { type: "button", text: "Remove", disabled: pinned, onclick: () => tr.remove() })));
    body.append(tr);
  };
  for (const [model, row] of Object.entries(table)) addRow(model, row);
  return el("div", { class: "prices" },
    el("table", { "data-agent": agent, "data-pinned": pinned, title: pinned ? PINNED : undefined },
      el("caption", { text: `${title} prices, USD per million tokens` }),
      el("thead", {}, el("tr", {}, el("th", { text: "Model" }), ...PRICE_COLUMNS.map(([, text]) => el("th", { text })), el("th"))),
      body),
    pinned ? null : el("button", { type: "button", text: "Add a model", onclick: () => addRow() }));
}

function readPrices(table) {
  const out = {};
  for (const tr of table.querySelectorAll("tbody tr")) {
    const model = tr.querySelector("[data-model]").value.trim();
    if (!model) continue;
    // An empty cell is sent as null, for the server to refuse by name.
    out[model] = Object.fromEntries([...tr.querySelectorAll("[data-price]")].map((input) =>
      [input.dataset.price, input.value === "" ? null : Number(input.value)]));
  }
  return out;
}

// yes: the confirming button's words, naming what it does.
export function confirmDialog(dialog) {
  return (text, yes = "Delete") => new Promise((resolve) => {
    dialog.querySelector("#confirm-text").textContent = text;
    dialog.querySelector("button[value=yes]").textContent = yes;
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.showModal();
  });
}

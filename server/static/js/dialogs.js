// The new-task form, the settings dialog and the delete confirmation.

import { call } from "./api.js";
import { clearErrors, showError } from "./errors.js";
import { el } from "./render.js";

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
    wireClose(dialog);
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

  open(repos) {
    this.form.reset();
    clearErrors(this.form);
    const select = this.form.repo;
    select.replaceChildren(...repos.map((repo) => el("option", { value: repo.path, text: repo.name })));
    this.dialog.querySelector("#new-repo-row").hidden = repos.length < 2;
    this.dialog.showModal();
    this.form.prompt.focus();
  }

  async submit() {
    const body = { prompt: this.form.prompt.value };
    if (this.form.title.value.trim()) body.title = this.form.title.value.trim();
    if (this.form.repo.value) body.repo = this.form.repo.value;
    if (this.form.agent.value) body.agent = this.form.agent.value;
    if (this.form.model.value.trim()) body.model = this.form.model.value.trim();
    try {
      const task = await call("createTask", { body });
      this.dialog.close();
      this.onCreated(task);
    } catch (error) {
      showError(error, this.form);
    }
  }
}

const NUMBERS = new Set(["max_parallel", "cpus", "timeout_min", "pids_limit"]);
const LISTS = new Set(["egress_allow"]); // comma-separated in the form
const CHECKS = new Set(["host_access"]);
const FIELDS = ["max_parallel", "cpus", "memory", "pids_limit", "timeout_min",
  "egress", "egress_allow", "host_access", "network"];
// Left out of a save when empty: the server keeps its value.
const KEEP_WHEN_EMPTY = new Set(["max_parallel", "timeout_min", "pids_limit", "egress"]);
const PINNED = "Set on the command line for this run";

export class SettingsDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.removed = new Set();
    wireClose(dialog);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  async open() {
    let config;
    try {
      config = await call("getConfig");
    } catch (error) {
      showError(error);
      return;
    }
    this.removed.clear();
    clearErrors(this.form);
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
      return [
        el("label", { for: `cfg-image-${agent}`, text: `${info.title} image` }),
        el("input", { id: `cfg-image-${agent}`, name: `images.${agent}`, "data-agent": agent,
          value: config.images[agent] ?? "",
          placeholder: "bundled, built on first use", disabled: pinned, title: pinned ? PINNED : undefined }),
      ];
    }));
    this.dialog.querySelector("#env-hint").replaceChildren(...Object.entries(config.agents).map(([agent, info]) =>
      el("li", { text: `${agent}: ${info.credentials.join(" or ")}; endpoint ${info.endpoint}${info.missing ? " (not set yet)" : ""}` })));
    const rows = this.dialog.querySelector("#env-rows");
    rows.replaceChildren(...config.env.map(({ key, value }) => {
      const input = el("input", { type: "password", placeholder: value, "aria-label": `New value for ${key}`, "data-key": key });
      const remove = el("button", { type: "button", text: "Remove", onclick: () => { this.removed.add(key); row.remove(); } });
      const row = el("li", {}, el("code", { text: key }), input, remove);
      return row;
    }));
    this.form.querySelector("#env-new-key").value = "";
    this.form.querySelector("#env-new-value").value = "";
    this.dialog.showModal();
  }

  async save() {
    const body = {};
    for (const name of FIELDS) {
      const input = this.form.elements[name];
      if (input.disabled) continue;
      const text = input.value.trim();
      if (CHECKS.has(name)) body[name] = input.checked;
      else if (LISTS.has(name)) body[name] = text.split(",").map((h) => h.trim()).filter(Boolean);
      else if (text === "" && KEEP_WHEN_EMPTY.has(name)) continue;
      else body[name] = text === "" ? null : NUMBERS.has(name) ? Number(text) : text;
    }
    const images = {};
    for (const input of this.dialog.querySelectorAll("#cfg-images input:enabled")) {
      images[input.dataset.agent] = input.value.trim();
    }
    if (Object.keys(images).length) body.images = images;
    const env = {};
    for (const input of this.form.querySelectorAll("#env-rows input")) {
      if (input.value) env[input.dataset.key] = input.value;
    }
    for (const key of this.removed) env[key] = null;
    const newKey = this.form.querySelector("#env-new-key").value.trim();
    if (newKey) env[newKey] = this.form.querySelector("#env-new-value").value;
    if (Object.keys(env).length) body.env = env;
    try {
      await call("putConfig", { body });
      this.dialog.close();
    } catch (error) {
      showError(error, this.form);
    }
  }
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

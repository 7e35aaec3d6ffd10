// The first run's question: a credential for each agent that has none. The
// variable names and where to get them come from the server's agent registry.

import { call } from "./api.js";
import { agents, onConfig, setConfig } from "./agents.js";
import { clearErrors, showError } from "./errors.js";
import { el } from "./render.js";

export class Onboarding {
  constructor(root) {
    this.root = root;
    this.dismissed = false;
    onConfig(() => this.render());
  }

  render() {
    const lacking = Object.entries(agents()).filter(([, info]) => info.missing);
    this.root.hidden = this.dismissed || lacking.length === 0;
    if (this.root.hidden) return;
    this.root.replaceChildren(
      el("h2", { id: "onboarding-title", text: "Give your agents a credential" }),
      el("p", { class: "hint", text: "A task cannot start until its agent has one. It goes in the agent "
        + "environment (Settings), which only task containers read. An image of your own in Settings needs none." }),
      ...lacking.map(([agent, info]) => this.form(agent, info)),
      el("div", { class: "actions" },
        el("button", { type: "button", text: "Not now", onclick: () => { this.dismissed = true; this.render(); } })),
    );
  }

  form(agent, info) {
    const name = el("select", { name: "name", "aria-label": `${info.title} variable` },
      info.credentials.map((key) => el("option", { value: key, text: key })));
    const value = el("input", { type: "password", name: "env", autocomplete: "off",
      "aria-label": `${info.title} credential`, placeholder: "paste it here" });
    const form = el("form", { class: "credential", "data-agent": agent },
      el("h3", { text: info.title }),
      el("p", { class: "hint", text: info.help || `Set ${info.credentials.join(" or ")}.` }),
      el("div", { class: "credential-row" }, name, value, el("button", { type: "submit", class: "primary", text: "Save" })),
      el("p", { class: "field-error", "data-for": "env" }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        setConfig(await call("putConfig", { body: { env: { [name.value]: value.value } } }));
      } catch (error) {
        showError(error, form);
      }
    });
    return form;
  }
}

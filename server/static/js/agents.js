// What the board knows of each agent, from GET /api/config: its title, the
// credential variables it needs (the server's agent registry) and, in
// `missing`, the server's own answer to "can it start?" (ConfigStore.missing).

import { call } from "./api.js";

let config = { agents: {}, default_agent: "" };
const listeners = [];

// Called with the settings each time they change (a save here, a reload).
export function onConfig(listener) {
  listeners.push(listener);
}

export async function loadConfig() {
  setConfig(await call("getConfig"));
  return config;
}

// PUT /api/config answers with the settings as they now are: take them.
export function setConfig(fresh) {
  config = fresh;
  for (const listener of listeners) listener(config);
}

export function agents() {
  return config.agents;
}

// Why a task of `agent` cannot start ("" when it can).
export function missing(agent) {
  return config.agents[agent || config.default_agent]?.missing ?? "";
}

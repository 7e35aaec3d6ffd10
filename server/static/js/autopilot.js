// The header's Autopilot toggle: the setting as the server has it (GET and PUT
// /api/config); a change from the tray or another browser comes with the board
// stream's settings-updated event.

import { call } from "./api.js";
import { onConfig, setConfig } from "./agents.js";
import { showError } from "./errors.js";

export function autopilotToggle(button) {
  const show = (on) => button.setAttribute("aria-pressed", String(Boolean(on)));
  onConfig((config) => show(config.autopilot));
  button.addEventListener("click", async () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    try {
      setConfig(await call("putConfig", { body: { autopilot: on } }));
    } catch (error) {
      showError(error);
    }
  });
  return { show };
}

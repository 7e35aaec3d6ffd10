// The header's Autopilot toggle: the setting as the server has it (GET and PUT
// /api/config); a change from the tray or another browser comes with the board
// stream's settings-updated event.

import { call } from "./api.js";
import { onConfig, setConfig } from "./agents.js";
import { showError } from "./errors.js";

export function autopilotToggle(button) {
  const show = (on) => button.setAttribute("aria-pressed", String(Boolean(on)));
  // The stream's events come in order; a PUT's answer may come after a later one
  // (the tray switching it back meanwhile), so the newest event heard wins.
  let heard = 0;
  let said = false;
  onConfig((config) => show(config.autopilot));
  button.addEventListener("click", async () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    const before = heard;
    try {
      const fresh = await call("putConfig", { body: { autopilot: on } });
      setConfig(heard === before ? fresh : { ...fresh, autopilot: said });
    } catch (error) {
      showError(error);
    }
  });
  // A settings-updated event from the board stream.
  const told = (on) => {
    heard += 1;
    said = on;
    show(on);
  };
  return { show: told };
}

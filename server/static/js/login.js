// Password sign-in: on success the server sets the session cookie; go to the board.

import { send } from "./api.js";
import { clearErrors, showError } from "./errors.js";

const form = document.querySelector("#login-form");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  try {
    await send("POST", "/api/login", { password: form.password.value });
  } catch (error) {
    showError(error, form);
    form.password.select();
    return;
  }
  window.location.assign("/");
});

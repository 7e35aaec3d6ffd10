// The "not signed in" page: how to get a new sign-in link, and the password
// form when a password is set. On success the server sets the session cookie.

import { send } from "./api.js";
import { clearErrors, showError } from "./errors.js";

const form = document.querySelector("#login-form");
document.querySelector("#link-used").hidden = new URLSearchParams(location.search).get("link") !== "used";

async function offerPassword() {
  try {
    const { password } = await send("GET", "/api/login");
    form.hidden = !password;
    document.querySelector("#no-password").hidden = password;
  } catch (error) {
    showError(error);
  }
  document.body.dataset.offered = "1"; // (not "ready": that marks the board)
}

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

offerPassword();

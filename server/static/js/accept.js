// The accept dialog: the commit message the server proposes (plain text from the
// title), editable; the dialog stays open on a refusal, with the reason beside it.

import { call } from "./api.js";
import { clearErrors, showError } from "./errors.js";

export class AcceptDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.message = this.form.elements.message;
    this.dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
    this.message.addEventListener("input", () => clearErrors(this.form));
    this.message.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) this.form.requestSubmit();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.accept();
    });
  }

  // onAccepted gets the task as the server answered (committing).
  open(task, onAccepted) {
    this.task = task;
    this.onAccepted = onAccepted;
    clearErrors(this.form);
    this.dialog.querySelector("#accept-target").textContent = `onto ${task.base_branch || "the default branch"}`;
    this.message.value = task.commit_message;
    this.dialog.showModal();
    this.message.focus();
    this.message.select();
  }

  async accept() {
    clearErrors(this.form);
    try {
      const task = await call("acceptTask", { params: { id: this.task.id }, body: { message: this.message.value } });
      this.dialog.close();
      this.onAccepted(task);
    } catch (error) {
      showError(error, this.form);
    }
  }
}

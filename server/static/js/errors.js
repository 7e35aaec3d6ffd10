// The one way a failed request reaches a person. The server names the field
// at fault (ApiError.field); the message goes next to that field when the
// scope (a form, a dialog, the task panel) has it, else to the scope's own
// error line, else to the page's toast.

import { el } from "./render.js";

const TOAST_MS = 8000;
let toastTimer = null;

export function showError(error, scope = null) {
  const message = error?.message || String(error);
  const field = error?.field;
  if (scope) {
    clearErrors(scope);
    // A field hidden from the person (a one-repository form's picker) cannot carry it.
    const shown = (node) => (node && !node.closest("[hidden]") ? node : null);
    const input = field ? shown(scope.querySelector(`[name="${CSS.escape(field)}"]`)) : null;
    let slot = field ? shown(scope.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`)) : null;
    if (!slot && input) {
      slot = el("p", { class: "field-error", "data-for": field });
      input.after(slot);
    }
    slot ||= scope.querySelector('.field-error[data-for="form"]');
    if (slot) {
      slot.textContent = message;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        if (!input.disabled) input.focus();
      }
      return;
    }
  }
  toast(message);
}

export function clearErrors(scope) {
  for (const slot of scope.querySelectorAll(".field-error[data-for]")) slot.textContent = "";
  for (const input of scope.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

function toast(message) {
  let box = document.querySelector("#toast");
  if (!box) {
    box = el("div", { id: "toast", class: "toast", role: "alert" });
    document.body.append(box);
  }
  const close = () => { box.hidden = true; };
  box.replaceChildren(el("span", { text: message }), el("button", { type: "button", text: "Dismiss", onclick: close }));
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(close, TOAST_MS);
}

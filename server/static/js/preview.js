// A running task's preview (PUT /api/tasks/{id}/preview): the port the person
// names, of the task's container, opened in a new tab on an origin of its own.
// The URL holds the preview's token: only this page (which no preview can read)
// and that tab see it.

import { call } from "./api.js";
import { clearErrors, showError } from "./errors.js";
import { el } from "./render.js";

export function previewForm(task, scope) {
  const port = el("input", { type: "number", id: "preview-port", name: "port", min: 1, max: 65535,
    inputmode: "numeric", required: true, placeholder: "8000" });
  const form = el("form", { class: "preview", "aria-label": "Preview" },
    el("label", { for: "preview-port", text: "Preview port" }), port,
    el("button", { type: "submit", "data-action": "preview", text: "Open preview",
      title: "Open this port of the task's container in a new tab, while its agent runs" }),
    el("span", { class: "preview-link" }),
    el("p", { class: "field-error", "data-for": "form", role: "alert" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(scope);
    // Opened within the click, so that no popup blocker stops it; sent on once the
    // preview is set, cut off from this page first.
    const tab = window.open("", "_blank");
    try {
      const { url } = await call("setPreview", { params: { id: task.id }, body: { port: Number(port.value) } });
      if (tab) {
        tab.opener = null;
        tab.location.href = url;
      }
      // Where no tab could open (a blocker, the desktop window): a link to follow.
      form.querySelector(".preview-link").replaceChildren(el("a", { href: url, target: "_blank",
        rel: "noopener noreferrer", text: `Preview of port ${port.value}` }));
    } catch (error) {
      tab?.close();
      showError(error, scope);
    }
  });
  return form;
}

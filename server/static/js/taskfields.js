// The fields of a task that may change at any time, edited in its panel: its
// tags and its budget. Each is saved when it changes (Enter, or leaving it).

import { call } from "./api.js";
import { clearErrors, showError } from "./errors.js";
import { el } from "./render.js";

export function taskFields(onChange) {
  const tags = el("input", { id: "detail-tags", name: "tags", placeholder: "none; comma-separated" });
  const budget = el("input", { id: "detail-budget", name: "budget_usd", type: "number", min: "0", step: "any", placeholder: "no budget" });
  const root = el("div", { class: "task-fields" },
    el("label", { for: "detail-tags", text: "Tags" }), tags,
    el("label", { for: "detail-budget", text: "Budget, USD" }), budget);
  let id = null;
  const save = async (body) => {
    clearErrors(root);
    try {
      onChange(await call("editTask", { params: { id }, body }));
    } catch (error) {
      showError(error, root);
    }
  };
  tags.addEventListener("change", () => save({ tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean) }));
  budget.addEventListener("change", () => save({ budget_usd: budget.value === "" ? null : Number(budget.value) }));
  // A field being typed in keeps what the person typed.
  root.show = (task) => {
    id = task.id;
    if (document.activeElement !== tags) tags.value = task.tags.join(", ");
    if (document.activeElement !== budget) budget.value = task.budget_usd ?? "";
  };
  return root;
}

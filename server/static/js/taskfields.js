// The fields of a task that may change at any time, edited in its panel: its
// tags, its budget, and whether it is tested when its run ends and accepted on
// a PASS (or as the settings say). Each is saved when it changes (Enter, or
// leaving it).

import { call } from "./api.js";
import { clearErrors, showError } from "./errors.js";
import { el } from "./render.js";

export function taskFields(onChange) {
  const tags = el("input", { id: "detail-tags", name: "tags", placeholder: "none; comma-separated" });
  const budget = el("input", { id: "detail-budget", name: "budget_usd", type: "number", min: "0", step: "any", placeholder: "no budget" });
  const autoTest = switchField("auto_test");
  const autoAccept = switchField("auto_accept");
  const root = el("div", { class: "task-fields" },
    el("label", { for: "detail-tags", text: "Tags" }), tags,
    el("label", { for: "detail-budget", text: "Budget, USD" }), budget,
    el("label", { for: "detail-auto_test", text: "Auto-test", title: "Test the change when a run ends in waiting" }), autoTest,
    el("label", { for: "detail-auto_accept", text: "Auto-accept", title: "Accept the change when the verifier passes it" }), autoAccept);
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
  for (const select of [autoTest, autoAccept]) {
    select.addEventListener("change", () => save({ [select.name]: SWITCH_VALUES[select.value] }));
  }
  // A field being typed in keeps what the person typed.
  root.show = (task) => {
    id = task.id;
    if (document.activeElement !== tags) tags.value = task.tags.join(", ");
    if (document.activeElement !== budget) budget.value = task.budget_usd ?? "";
    for (const select of [autoTest, autoAccept]) select.value = String(task[select.name]);
  };
  return root;
}

// null follows the settings' switch of the same name.
const SWITCH_VALUES = { null: null, true: true, false: false };

function switchField(name) {
  return el("select", { id: `detail-${name}`, name },
    el("option", { value: "null", text: "as in settings" }),
    el("option", { value: "true", text: "yes" }),
    el("option", { value: "false", text: "no" }));
}

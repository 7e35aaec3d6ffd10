// The board's rules as the server states them (GET /api/states): which column
// shows which statuses, which statuses need a person, what each is called.
// What a task allows comes with the task itself, in task.actions.

import { call } from "./api.js";

let rules = null;

export async function loadStates() {
  rules = await call("states");
}

export function columns() {
  return rules.columns;
}

export function columnOf(task) {
  if (task.archived) return null;
  return rules.columns.find((column) => column.statuses.includes(task.status))?.name ?? null;
}

export function group(name) {
  return rules.groups[name];
}

export function inGroup(group, status) {
  return rules.groups[group].includes(status);
}

export function label(status) {
  return rules.labels[status] ?? status;
}

// The status an action takes a task to, or null where it is not allowed.
export function destination(status, action) {
  return rules.transitions.find((t) => t.from === status && t.action === action)?.to ?? null;
}

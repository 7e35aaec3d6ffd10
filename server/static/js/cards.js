// One card of the board: what a person scans for at a glance. The title comes
// plain from the server (plain_title); the status badge shows only where the
// column holds more than one status, since the column's name says the rest.

import { agents } from "./agents.js";
import { groupOf } from "./attempts.js";
import { el, elapsed, money } from "./render.js";
import * as states from "./states.js";
import { verdictBadge } from "./verdict.js";

// `queue`: the ids waiting for a slot, the next to start first (GET /api/stats).
export function renderCard(task, { draggable, selected, badge, queue }) {
  const place = queue.indexOf(task.id);
  const label = place >= 0 ? `queued (${place + 1} of ${queue.length})` : states.label(task.status);
  const title = task.plain_title || "(untitled)";
  return el(
    "li",
    {
      class: "card",
      tabindex: "0",
      draggable: draggable ? "true" : false,
      "data-id": task.id,
      "data-status": task.status,
      "data-queued": place >= 0 ? "1" : false,
      "aria-label": `${title} (${label})`,
      role: selected === undefined ? false : "option",
      "aria-selected": selected === undefined ? false : String(selected),
    },
    el("div", { class: "title", title: task.title, text: title }),
    el(
      "div",
      { class: "meta" },
      place >= 0 ? el("span", { class: "badge queued", text: label })
        : badge ? el("span", { class: `badge ${task.status}`, text: label }) : null,
      task.conflict_files.length ? el("span", { class: "badge conflict", title: task.conflict_files.join(", "),
        text: task.conflict_round ? `resolving conflict, round ${task.conflict_round}` : "conflict" }) : null,
      task.behind && task.actions.includes("sync") ? el("span", { class: "badge behind", title: `${task.behind} new commits on ${task.base_branch}: Sync in the task's panel rebases onto them`,
        text: `${task.behind} behind` }) : null,
      attemptsBadge(task),
      task.verdict ? verdictBadge(task.verdict) : null,
      place >= 0 ? null : clock(task),
      task.usage.cost_usd || task.budget_usd ? el("span", {
        class: "cost", title: task.budget_usd ? "Cost so far, of the task's budget" : "Cost so far",
        text: task.budget_usd ? `${money(task.usage.cost_usd)} of ${money(task.budget_usd)}` : money(task.usage.cost_usd),
      }) : null,
    ),
    el(
      "div",
      { class: "meta origin" },
      el("span", { class: "agent", text: agents()[task.agent]?.title ?? task.agent }),
      ...[task.repo, ...(task.also ?? [])].map((repo) =>
        el("span", { class: "repo", title: repo, text: repo.split(/[\\/]/).filter(Boolean).pop() ?? repo })),
    ),
    task.tags.length ? el("ul", { class: "tags", "aria-label": "Tags" }, ...task.tags.map((tag) => el("li", {},
      el("button", { type: "button", class: "tag", "data-tag": tag, tabindex: "-1", title: `Show only tasks tagged ${tag}`, text: tag })))) : null,
    waits(task),
  );
}

// One prompt run several times: the badge opens their comparison (C on the card).
function attemptsBadge(task) {
  const group = groupOf(task);
  if (!group) return null;
  return el("button", { type: "button", class: "badge attempts", "data-compare": group, tabindex: "-1",
    title: "Compare the attempts of this prompt (C)", text: task.attempt_of ? "attempt" : `${task.attempts} attempts` });
}

// What a draft waits for before it may start by itself: its dependencies
// not done yet (a failed or cancelled one says so), and its time.
function waits(task) {
  if (!states.inGroup("editable", task.status)) return null;
  const blockers = task.blocked_by.map((b) =>
    states.inGroup("finished", b.status) ? `${b.title} (${states.label(b.status)})` : b.title);
  const parts = [];
  if (blockers.length) parts.push(el("span", { class: "blocked", text: `blocked by ${blockers.join(", ")}` }));
  if (task.scheduled_at) {
    parts.push(el("span", { class: "scheduled", title: task.scheduled_at,
      text: `starts at ${WHEN.format(new Date(task.scheduled_at))}` }));
  }
  return parts.length ? el("div", { class: "meta waits" }, ...parts) : null;
}

// One formatter for every card: toLocaleString makes a new one per call, which
// costs the first paint of a long board more than all the rest of a card.
const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// A running task shows how long it has been at it (from its last change of
// state, when its container started); a task that stopped, how long ago.
// A draft in the backlog has no time worth showing.
function clock(task) {
  if (states.inGroup("editable", task.status)) return null;
  const running = states.inGroup("running", task.status);
  return el("span", {
    class: "elapsed",
    "data-from": task.updated_at,
    "data-running": running ? "1" : false,
    title: running ? "Running for" : `Since ${WHEN.format(new Date(task.updated_at))}`,
    text: stamp(task.updated_at, running),
  });
}

function stamp(from, running) {
  return running ? elapsed(from) : `${elapsed(from)} ago`;
}

// Every card's time, from the one timer the board keeps.
export function tick(root) {
  for (const span of root.querySelectorAll(".card .elapsed[data-from]")) {
    span.textContent = stamp(span.dataset.from, Boolean(span.dataset.running));
  }
}

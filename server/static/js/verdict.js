// The verifier's verdict on a task's change (POST /api/tasks/{id}/verify): a
// badge on the card, and the badge with its reasons in the task's panel. The
// reasons are the verifier's own words: shown as text, never as markup.

import { el, money } from "./render.js";

const WORDS = { running: "testing…", pass: "PASS", fail: "FAIL", error: "test error" };

export function verdictBadge(verdict) {
  return el("span", { class: `badge verdict ${verdict.status}`, "data-verdict": verdict.status,
    title: verdict.status === "running" ? "A verifier is judging the change" : verdict.reasons,
    text: WORDS[verdict.status] ?? verdict.status });
}

export function verdictView(verdict) {
  if (!verdict) return [];
  const when = verdict.at ? ` ${new Date(verdict.at).toLocaleString()}` : "";
  const cost = verdict.cost_usd ? ` · ${money(verdict.cost_usd)}` : "";
  return [el("section", { class: "verdict-panel", "aria-label": "Verdict" },
    el("div", {}, el("span", { text: "Verifier: " }), verdictBadge(verdict),
      el("span", { class: "hint", text: `${when}${cost}` })),
    verdict.status === "running" ? null : el("pre", { class: "verdict-reasons", text: verdict.reasons }))];
}

// A task spanning several repositories: the new-task dialog's boxes for the others
// beside its primary, and the panel's line naming each repository and, once the
// task is done, the commit each one got.

import { el } from "./render.js";

// One box per registered repository but the chosen primary; ticks survive a redraw.
export function alsoBoxes(container, repos, primary) {
  const ticked = new Set(chosenAlso(container));
  container.replaceChildren(...repos.filter((repo) => repo.path !== primary).map((repo) =>
    el("label", { class: "check" },
      el("input", { type: "checkbox", value: repo.path, checked: ticked.has(repo.path),
        "aria-label": `Also in ${repo.name}` }),
      ` ${repo.name}`)));
}

export function chosenAlso(container) {
  return [...container.querySelectorAll("input:checked")].map((box) => box.value);
}

// "Landed: app 1a2b3c4d5e6f, lib …" once done; before, the repositories it spans.
export function spanNodes(task) {
  const landed = task.landed ?? [];
  const also = task.also ?? [];
  if (landed.length) {
    return ["Landed: ", ...landed.flatMap((entry, i) => [i ? ", " : "", `${entry.name} `,
      el("code", { text: entry.commit.slice(0, 12), title: entry.commit })])];
  }
  if (!also.length) return [];
  const names = [task.repo, ...also].map((path) => path.split("/").pop());
  return [`Repositories: ${names.join(", ")} (each at /workspace/<name>)`];
}

// The Diff tab: a file tree with +/- counts, each file's hunks unified or side by
// side, highlighted from the server's [class, text] tokens, and line comments that
// gather into one feedback message. Also the conflicting hunks of a failed accept.

import { el } from "./render.js";

const MODE_KEY = "wallfacer.diffMode";
// A file with more lines than this starts collapsed: one huge file should not bury
// the others, nor make the tab slow to open. (The server sends no lines at all past
// its own caps, and the file then says "too large to show"; past its byte cap it
// does not even read the file, so its counts are null and its size stands in.)
export const COLLAPSE_LINES = 400;

export class DiffView {
  // onSend(message) posts the comments as feedback; it resolves true once sent.
  constructor({ onSend }) {
    this.onSend = onSend;
    this.mode = localStorage.getItem(MODE_KEY) === "split" ? "split" : "unified";
    this.comments = []; // {path, line, side, quote, text}, kept across re-renders
    this.expanded = new Set();
    this.root = el("div", { class: "diff-view" });
  }

  // canSend: the task takes feedback now (it is waiting for its person).
  render(data, canSend) {
    this.data = data;
    this.canSend = canSend;
    this.root.replaceChildren(...this.build().filter(Boolean));
    return this.root;
  }

  // A task spanning several repositories: one group per repository, its files
  // paths under its name, as under /workspace in the container (and so in comments).
  build() {
    const also = this.data.also ?? [];
    if (!also.length) return this.group(this.data, "", true);
    return [this.commentsPanel(), ...[this.data, ...also].map((group) =>
      el("section", { class: "diff-repo", "data-repo": group.name, "aria-label": `Changes in ${group.name}` },
        el("h3", { text: group.name }), ...this.group(group, `${group.name}/`, false).filter(Boolean)))];
  }

  group(data, prefix, withComments) {
    const files = data.changes.map((file) =>
      prefix ? { ...file, path: prefix + file.path, old_path: prefix + file.old_path } : file);
    if (!files.length) return [el("p", { class: "hint", text: "No changes." })];
    const toggle = ["unified", "split"].map((mode) => el("button", {
      type: "button", "data-mode": mode, "aria-pressed": String(this.mode === mode),
      onclick: () => this.setMode(mode), text: mode[0].toUpperCase() + mode.slice(1),
    }));
    return [
      el("div", { class: "diff-bar" },
        el("span", { class: "diff-total" }, `${files.length} file${files.length === 1 ? "" : "s"} `,
          stats(data), data.uncounted ? ` (${data.uncounted} not counted)` : ""),
        el("span", { class: "diff-modes", role: "group", "aria-label": "Diff layout" }, toggle)),
      withComments ? this.commentsPanel() : null,
      el("div", { class: "diff-body" },
        el("nav", { class: "diff-tree", "aria-label": "Changed files" }, tree(files, (path) => this.reveal(path))),
        el("div", { class: "diff-files" }, files.map((file) => this.fileSection(file)))),
    ];
  }

  setMode(mode) {
    this.mode = mode;
    localStorage.setItem(MODE_KEY, mode);
    this.render(this.data, this.canSend);
  }

  reveal(path) {
    const section = [...this.root.querySelectorAll(".diff-file")].find((s) => s.dataset.path === path);
    section?.scrollIntoView({ block: "start" });
  }

  fileSection(file) {
    const size = file.hunks.reduce((n, hunk) => n + hunk.lines.length, 0);
    const head = el("header", {},
      el("h4", { text: file.old_path !== file.path ? `${file.old_path} → ${file.path}` : file.path }),
      stats(file));
    const section = el("section", { class: "diff-file", "data-path": file.path }, head,
      file.notes.map((note) => el("p", { class: "diff-note", text: note })));
    if (file.too_large) {
      const why = file.additions === null ? `${sizeText(file.size)}, not read` : `${file.additions + file.deletions} lines changed`;
      section.append(el("p", { class: "hint too-large", text: `Too large to show (${why}).` }));
    } else if (size > COLLAPSE_LINES && !this.expanded.has(file.path)) {
      section.append(el("button", { type: "button", class: "expand", text: `Show ${size} lines`, onclick: () => {
        this.expanded.add(file.path);
        section.replaceWith(this.fileSection(file));
      } }));
    } else if (file.hunks.length) {
      const table = el("table", { class: this.mode }, file.hunks.flatMap((hunk) => this.hunkRows(file, hunk)));
      table.addEventListener("click", (event) => this.clickLine(event));
      section.append(table);
    }
    return section;
  }

  hunkRows(file, hunk) {
    const cols = this.mode === "split" ? 4 : 3;
    const rows = [el("tr", { class: "hunk" }, el("td", { colspan: cols, text: hunk.header }))];
    if (this.mode === "unified") {
      for (const line of hunk.lines) rows.push(unifiedRow(line), ...this.commentRows(file.path, [line]));
      return rows;
    }
    // Side by side: a run of removed lines faces the run of added lines after it.
    const lines = hunk.lines;
    for (let i = 0; i < lines.length;) {
      if (lines[i][0] === " ") {
        rows.push(splitRow(lines[i], lines[i]), ...this.commentRows(file.path, [lines[i]]));
        i += 1;
        continue;
      }
      const dels = [];
      const adds = [];
      while (i < lines.length && lines[i][0] === "-") dels.push(lines[i++]);
      while (i < lines.length && lines[i][0] === "+") adds.push(lines[i++]);
      for (let k = 0; k < Math.max(dels.length, adds.length); k++) {
        rows.push(splitRow(dels[k], adds[k]), ...this.commentRows(file.path, [dels[k], adds[k]]));
      }
    }
    return rows;
  }

  // The comments already made on these lines, as rows to follow theirs.
  commentRows(path, lines) {
    const rows = [];
    for (const line of lines) {
      if (!line) continue;
      const [side, number] = where(line);
      for (const comment of this.comments) {
        if (comment.path !== path || comment.side !== side || comment.line !== number) continue;
        rows.push(el("tr", { class: "comment" }, el("td", { colspan: this.mode === "split" ? 4 : 3 },
          el("span", { class: "hint", text: `${path}:${number} ` }), comment.text)));
      }
    }
    return rows;
  }

  clickLine(event) {
    const cell = event.target.closest("td[data-line]");
    if (!cell || cell.closest("tr").nextElementSibling?.classList.contains("comment-form")) return;
    const { side, line } = cell.dataset;
    const path = cell.closest(".diff-file").dataset.path;
    const quote = cell.textContent;
    const box = el("textarea", { "aria-label": `Comment on ${path}:${line}`, placeholder: "Comment on this line…" });
    const form = el("form", { class: "feedback" }, box, el("div", { class: "buttons" },
      el("button", { type: "submit", text: "Add comment" }),
      el("button", { type: "button", text: "Cancel", onclick: () => row.remove() })));
    const row = el("tr", { class: "comment-form" }, el("td", { colspan: this.mode === "split" ? 4 : 3 }, form));
    form.addEventListener("submit", (submit) => {
      submit.preventDefault();
      if (!box.value.trim()) return;
      this.comments.push({ path, side, line: Number(line), quote, text: box.value.trim() });
      this.render(this.data, this.canSend);
    });
    cell.closest("tr").after(row);
    box.focus();
  }

  commentsPanel() {
    if (!this.comments.length) return null;
    const send = el("button", { type: "button", class: "primary", "data-action": "send-comments",
      disabled: !this.canSend, text: `Send ${this.comments.length} comment${this.comments.length === 1 ? "" : "s"}`,
      onclick: async () => {
        if (await this.onSend(commentMessage(this.comments))) {
          this.comments = [];
          this.render(this.data, this.canSend);
        }
      } });
    return el("div", { class: "diff-comments" },
      el("ul", {}, this.comments.map((comment, i) => el("li", {},
        el("code", { text: `${comment.path}:${comment.line}` }), ` ${comment.text} `,
        el("button", { type: "button", class: "link", text: "Remove", onclick: () => {
          this.comments.splice(i, 1);
          this.render(this.data, this.canSend);
        } })))),
      el("div", { class: "buttons" }, send,
        this.canSend ? null : el("span", { class: "hint", text: "Comments can be sent while the task waits for you." })));
  }
}

// The one feedback message: each comment under the file:line it is about, with the line quoted.
export function commentMessage(comments) {
  const parts = comments.map((c) =>
    `${c.path}:${c.line}${c.side === "old" ? " (a removed line)" : ""}\n> ${c.quote}\n${c.text}`);
  return `Comments on the diff:\n\n${parts.join("\n\n")}`;
}

// A removed line is named by its old number; every other line by its new one.
function where(line) {
  return line[0] === "-" ? ["old", line[1]] : ["new", line[2]];
}

function codeCell(line) {
  const [side, number] = where(line);
  return el("td", { class: "code", "data-side": side, "data-line": number },
    line[3].map(([cls, t]) => (cls ? el("span", { class: `t-${cls}`, text: t }) : t)));
}

function unifiedRow(line) {
  const cls = { "+": "add", "-": "del", " ": "ctx" }[line[0]];
  return el("tr", { class: cls }, el("td", { class: "ln", text: line[1] ?? "" }),
    el("td", { class: "ln", text: line[2] ?? "" }), codeCell(line));
}

function splitRow(old, now) {
  const half = (line, index, cls) => line
    ? [el("td", { class: `ln ${cls}`, text: line[index] }), codeCell(line)]
    : [el("td", { class: "ln empty" }), el("td", { class: "code empty" })];
  const row = el("tr", { class: old === now ? "ctx" : "change" }, half(old, 1, "old"), half(now, 2, "new"));
  if (old !== now) {
    if (old) row.children[0].classList.add("del"), row.children[1].classList.add("del");
    if (now) row.children[2].classList.add("add"), row.children[3].classList.add("add");
  }
  return row;
}

// A file's or the change's counts; a file the server did not read shows its size.
function stats({ additions, deletions, size }) {
  if (additions === null) return el("span", { class: "stats", text: sizeText(size) });
  return el("span", { class: "stats" },
    el("span", { class: "plus", text: `+${additions}` }), " ", el("span", { class: "minus", text: `−${deletions}` }));
}

function sizeText(bytes) {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// Folders first, each listing its files with their counts; a click scrolls to the file.
function tree(files, onPick) {
  const root = { dirs: new Map(), files: [] };
  for (const file of files) {
    const parts = file.path.split("/");
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      if (!node.dirs.has(dir)) node.dirs.set(dir, { dirs: new Map(), files: [] });
      node = node.dirs.get(dir);
    }
    node.files.push([parts.at(-1), file]);
  }
  const list = (node) => el("ul", {},
    [...node.dirs].map(([name, sub]) => el("li", { class: "dir" }, el("span", { text: `${name}/` }), list(sub))),
    node.files.map(([name, file]) => el("li", {},
      el("button", { type: "button", class: "link", title: file.path, "data-path": file.path, onclick: () => onPick(file.path) },
        el("span", { class: "name", text: name }), stats(file)))));
  return list(root);
}

// --- conflicts ------------------------------------------------------------------

// The hunks where the task's change meets the default branch as it is now.
export function conflictView(data, branch) {
  return el("div", { class: "conflicts" }, data.files.map((file) => el("section", { class: "diff-file conflict-file", "data-path": file.path },
    el("header", {}, el("h4", { text: file.path })),
    file.note ? el("p", { class: "diff-note", text: file.note }) : null,
    file.hunks.length ? el("table", { class: "unified" }, file.hunks.flatMap((hunk, i) => [
      i ? el("tr", { class: "hunk" }, el("td", { colspan: 3, text: "⋯" })) : null,
      hunk.map(([kind, line, text]) => el("tr", { class: { branch: "del", task: "add", " ": "ctx" }[kind] },
        el("td", { class: "ln side", text: { branch, task: "task", " ": "" }[kind] }),
        el("td", { class: "ln", text: line ?? "" }),
        el("td", { class: "code", text }))),
    ].flat())) : null)));
}

// A registered repository's git panel, opened from its chip in the header: the
// branch, ahead/behind its upstream, the files not yet committed (read-only),
// and a push of the default branch. A refused push stays on screen with its cause.

import { call } from "./api.js";
import { clearErrors, showError } from "./errors.js";
import { el } from "./render.js";

export class GitPanel {
  constructor(dialog) {
    this.dialog = dialog;
    this.body = dialog.querySelector("[data-body]");
    this.pushButton = dialog.querySelector("[data-push]");
    this.result = dialog.querySelector("[data-result]");
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
    dialog.querySelector("[data-refresh]").addEventListener("click", () => this.load());
    this.pushButton.addEventListener("click", () => this.push());
  }

  open(repo) {
    this.repo = repo;
    this.dialog.querySelector("#git-title").textContent = repo.name;
    this.dialog.querySelector("[data-path]").textContent = repo.path;
    this.result.textContent = "";
    this.body.replaceChildren();
    this.dialog.showModal();
    this.load();
  }

  async load() {
    clearErrors(this.dialog);
    this.pushButton.disabled = true;
    try {
      this.show(await call("repoGit", { query: { path: this.repo.path } }));
    } catch (error) {
      showError(error, this.dialog);
    }
  }

  show(git) {
    const upstream = git.upstream
      ? [el("code", { text: git.upstream }), git.remote_url ? el("span", { class: "hint", text: ` ${git.remote_url}` }) : null]
      : [el("span", { class: "hint", text: `none: set one with git push -u <remote> ${git.default_branch}` })];
    const counts = git.upstream ? `${git.ahead} ahead · ${git.behind} behind` : "—";
    this.body.replaceChildren(
      el("dl", { class: "git-facts" },
        el("dt", { text: "Checked out" }), el("dd", {}, el("code", { text: git.branch || "(detached)" })),
        el("dt", { text: "Default branch" }), el("dd", {}, el("code", { text: git.default_branch })),
        el("dt", { text: "Upstream" }), el("dd", {}, ...upstream),
        el("dt", { text: "Commits" }), el("dd", {}, el("span", { "data-counts": "", text: counts }),
          git.upstream ? el("span", { class: "hint", text: " (as of the last fetch)" }) : null),
      ),
      el("h3", { text: git.files.length ? `Uncommitted (${git.files.length + git.more_files})` : "Nothing uncommitted" }),
      git.files.length
        ? el("ul", { class: "git-files" }, git.files.map((f) =>
          el("li", {}, el("span", { class: `git-status ${f.status}`, text: f.status }), el("code", { text: f.path }))))
        : null,
      git.more_files ? el("p", { class: "hint", text: `and ${git.more_files} more` }) : null,
      el("p", { class: "hint", text: "Pushes use the keys in your ssh agent and trust only host keys in ~/.ssh/known_hosts." }),
    );
    this.pushButton.textContent = git.upstream ? `Push ${git.default_branch} → ${git.upstream}` : "Push";
    this.pushButton.disabled = !git.upstream || git.ahead === 0;
    this.pushButton.title = git.ahead === 0 && git.upstream ? "Nothing to push" : "";
  }

  async push() {
    clearErrors(this.dialog);
    this.result.textContent = "Pushing…";
    this.pushButton.disabled = true;
    let failure = null;
    try {
      const pushed = await call("pushRepo", { body: { path: this.repo.path } });
      this.result.textContent = `Pushed ${pushed.commit.slice(0, 7)} to ${pushed.upstream}`;
    } catch (error) {
      this.result.textContent = "";
      failure = error;
    }
    await this.load(); // the counts as they are now, then the reason a push failed
    if (failure) showError(failure, this.dialog);
  }
}

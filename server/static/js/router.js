// The task detail is a route, #task=<id>: opening a card pushes it, so Back,
// Forward and a reload show what the address says; closing pushes the board.

const ROUTE = /^#task=([\w-]+)$/;

export class Router {
  // show(id) opens the task; hide() closes it (both are no-ops when already so).
  constructor({ show, hide }) {
    this.show = show;
    this.hide = hide;
    window.addEventListener("popstate", () => this.apply());
  }

  current() {
    return location.hash.match(ROUTE)?.[1] ?? null;
  }

  open(id) {
    if (this.current() !== id) history.pushState(null, "", `#task=${id}`);
    return this.apply();
  }

  close() {
    if (this.current()) history.pushState(null, "", location.pathname + location.search);
    return this.apply();
  }

  // A task that cannot be shown (deleted, or never was) leaves no route behind.
  forget() {
    if (this.current()) history.replaceState(null, "", location.pathname + location.search);
  }

  apply() {
    const id = this.current();
    return id ? this.show(id) : this.hide();
  }
}

// The board and the task detail side by side: a handle between them resizes the
// detail (drag, or arrows when focused), and the width is kept for next time.
// The CSS clamps it so the board always keeps room for all its columns; at
// 900 px and below the detail is a page of its own instead.

const KEY = "wallfacer.detailWidth";
const STEP = 40;
const MIN = 320;

export class Split {
  constructor(workspace, handle, detail) {
    this.workspace = workspace;
    this.handle = handle;
    this.detail = detail;
    const saved = Number(localStorage.getItem(KEY));
    if (saved) this.set(saved, false);
    handle.addEventListener("pointerdown", (event) => this.drag(event));
    handle.addEventListener("keydown", (event) => this.key(event));
    // Its value is the width shown, which the window's size may have clamped.
    new ResizeObserver(() => this.describe()).observe(detail);
  }

  // The widest the detail may be: what the CSS leaves once the board has its room.
  max() {
    const board = parseFloat(getComputedStyle(this.workspace).getPropertyValue("--board-min"));
    return Math.max(MIN, this.workspace.clientWidth - board);
  }

  set(width, save = true) {
    const clamped = Math.round(Math.min(Math.max(width, MIN), save ? this.max() : width));
    this.workspace.style.setProperty("--detail-width", `${clamped}px`);
    if (save) localStorage.setItem(KEY, String(clamped));
  }

  describe() {
    this.handle.setAttribute("aria-valuemin", String(MIN));
    this.handle.setAttribute("aria-valuemax", String(Math.round(this.max())));
    this.handle.setAttribute("aria-valuenow", String(Math.round(this.detail.getBoundingClientRect().width)));
  }

  drag(event) {
    event.preventDefault();
    const handle = this.handle;
    const start = this.detail.getBoundingClientRect().width + event.clientX;
    handle.setPointerCapture(event.pointerId);
    const move = (e) => this.set(start - e.clientX);
    const stop = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", stop);
      handle.removeEventListener("pointercancel", stop);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", stop);
    handle.addEventListener("pointercancel", stop);
  }

  // The handle moves the way the arrow points: left widens the detail;
  // Home and End go to the least and the most its value (the width) may be.
  key(event) {
    const now = this.detail.getBoundingClientRect().width;
    const widths = { ArrowLeft: now + STEP, ArrowRight: now - STEP, Home: MIN, End: this.max() };
    if (!(event.key in widths)) return;
    event.preventDefault();
    this.set(widths[event.key]);
  }
}

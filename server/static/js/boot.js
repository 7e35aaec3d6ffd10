// A classic script, run before the board's modules: when one of them fails to load
// (Chromium drops requests in flight when the host's network changes, as it does
// each time Docker makes a container's interface), the page loads again, a few
// times at most, rather than staying blank. app.js clears the count once ready.
window.addEventListener("error", (event) => {
  const script = event.target;
  if (!(script instanceof HTMLScriptElement) || script.type !== "module") return;
  const tries = Number(sessionStorage.getItem("wallfacer-reloads") || 0);
  if (tries >= 3) return;
  sessionStorage.setItem("wallfacer-reloads", String(tries + 1));
  setTimeout(() => location.reload(), 300 * (tries + 1));
}, true);

// A dialog gives focus back to what opened it. The browser does so only while
// that element still exists; the detail's buttons and the cards are drawn anew on
// every update, so when the opener is gone its new copy is found by what it is.

const NAMES = ["data-action", "data-id", "data-tab", "data-retry", "data-log"];

export function returnFocusFromDialogs() {
  let outside = null; // the last thing focused outside any dialog, while it still has focus
  document.addEventListener("focusin", (event) => {
    if (!event.target.closest("dialog")) outside = event.target;
  });
  // Focus that goes to the page itself (a click on nothing) leaves no opener;
  // checked a moment later, as a dialog's opening also moves focus to no target.
  document.addEventListener("focusout", () => setTimeout(() => {
    if (document.activeElement === document.body) outside = null;
  }));
  for (const dialog of document.querySelectorAll("dialog")) {
    let opener = null;
    new MutationObserver(() => {
      if (dialog.open && !opener) opener = { node: outside, selector: outside && selectorOf(outside) };
    }).observe(dialog, { attributes: true, attributeFilter: ["open"] });
    dialog.addEventListener("close", () => {
      const was = opener;
      opener = null;
      const now = document.activeElement;
      const lost = !now || now === document.body || dialog.contains(now); // still on the closed dialog's button
      if (!was?.node || !lost) return; // nothing to return to, or something else took focus on purpose
      const target = was.node.isConnected ? was.node : was.selector && document.querySelector(was.selector);
      target?.focus();
    });
  }
}

// "#id", or the element's identifying attribute under its nearest ancestor with an id.
function selectorOf(node) {
  if (node.id) return `#${CSS.escape(node.id)}`;
  const name = NAMES.find((n) => node.hasAttribute(n));
  if (!name) return null;
  const scope = node.parentElement?.closest("[id]");
  const own = `[${name}="${CSS.escape(node.getAttribute(name))}"]`;
  return scope ? `#${CSS.escape(scope.id)} ${own}` : own;
}

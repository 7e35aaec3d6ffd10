// One tab stop per column: Tab goes from column to column, the arrows (board.js)
// move between cards. A column's stop is the card last focused there, else its
// first. Cards are drawn focusable; this demotes all but the stop after each
// change to the board, so the drawing code need not know.

export function rovingFocus(board) {
  let pending = false;
  const settle = () => {
    pending = false;
    for (const list of board.querySelectorAll(".cards")) settleList(list);
  };
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    queueMicrotask(settle); // once per batch of changes, not once per card
  }).observe(board, { childList: true, subtree: true });
  board.addEventListener("focusin", (event) => {
    const card = event.target.closest?.(".card");
    if (!card || card.parentElement?.dataset.stop === card.dataset.id) return;
    card.parentElement.dataset.stop = card.dataset.id;
    settleList(card.parentElement);
  });
}

function settleList(list) {
  const wanted = list.dataset.stop;
  const stop = (wanted && list.querySelector(`:scope > .card[data-id="${CSS.escape(wanted)}"]`)) || list.firstElementChild;
  for (const card of list.querySelectorAll(':scope > .card[tabindex="0"]')) {
    if (card !== stop) card.tabIndex = -1;
  }
  if (stop) stop.tabIndex = 0;
}

// Containers made ahead of a start. A card picked up or a Start button pointed
// at is likely to start next, so the server is asked to make its container now
// (POST /api/tasks/{id}/prepare) and the start then only starts it. Only a
// hint: a refusal or a failure changes nothing a person sees.

import { call } from "./api.js";

// The server keeps what it made for two minutes; asking again sooner adds nothing.
const AGAIN_MS = 10_000;
const asked = new Map(); // task id -> when it was last asked

export function prepareSoon(id) {
  const now = Date.now();
  if (now - (asked.get(id) ?? -Infinity) < AGAIN_MS) return;
  asked.set(id, now);
  call("prepareTask", { params: { id } }).catch(() => {});
}

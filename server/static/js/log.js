// The task log's entries as nodes. A tool call and its result share one row:
// the result, which comes on a later line with the call's tool id, fills in the
// row its call started instead of adding one of its own.

import { el, markdown, money, size } from "./render.js";
import { label } from "./states.js";

// log: where earlier entries are, to find the call a result answers.
export function logNodes(entry, log) {
  const data = entry.data;
  if (entry.type === "state") {
    return [el("div", { class: "entry note", text: `→ ${label(data.to)}${data.reason ? ` — ${data.reason}` : ""}` })];
  }
  if (entry.type === "feedback") {
    return [el("div", { class: "entry feedback" }, el("strong", { text: "You: " }), data.message)];
  }
  if (entry.type === "error") {
    return [el("div", { class: "entry error", text: data.message })];
  }
  if (entry.type === "system") {
    return [el("div", { class: "entry note", text: data.message })];
  }
  if (entry.type === "dropped") {
    return [el("div", { class: "entry note dropped", text: `${size(data.bytes)} of earlier output (${data.lines.toLocaleString()} `
      + "lines) dropped: past the output a task may keep (see Settings), only its newest is kept" })];
  }
  const cut = data.omitted ? ` … (${size(data.omitted)} more not stored)` : " … (truncated)";
  const raw = el("pre", { class: "raw", "data-raw": "", text: data.line + (data.truncated ? cut : "") });
  const shown = data.events.filter((event) => event.kind !== "usage");
  if (!shown.length) {
    if (data.events.length || isJson(data.line)) return [raw]; // nothing a person needs to read
    const text = data.line.length > 300 ? `${data.line.slice(0, 300)}… (${data.line.length} chars)` : data.line;
    return [raw, el("div", { class: "entry junk", "data-pretty": "", text: text + (data.truncated ? cut : "") })];
  }
  const rows = [];
  for (const event of shown) {
    const call = event.kind === "tool_result" && callRow(log, rows, event.tool_id);
    if (call) {
      answer(call, event);
      continue;
    }
    const node = prettyEvent(event);
    node.dataset.pretty = "";
    rows.push(node);
  }
  return [raw, ...rows];
}

function isJson(line) {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function prettyEvent(event) {
  switch (event.kind) {
    case "notice":
      return el("div", { class: "entry note", text: event.text });
    case "text":
      return el("div", { class: "entry text" }, markdown(event.text));
    case "tool_call":
      return el("details", { class: "entry tool", "data-tool-id": event.tool_id || false },
        el("summary", {}, el("strong", { text: event.name }), event.summary ? ` ${event.summary}` : "",
          el("span", { class: "outcome" })),
        el("pre", { class: "input", text: JSON.stringify(event.input, null, 2) }));
    case "tool_result":
      return el("details", { class: `entry result${event.is_error ? " error" : ""}` },
        el("summary", { text: event.is_error ? "tool error" : "result" }),
        el("pre", { text: event.content }));
    case "init":
      return el("div", { class: "entry note", text: `session ${event.session_id}${event.model ? ` · ${event.model}` : ""}` });
    case "result": {
      const u = event.usage;
      return el("div", { class: `entry ${event.is_error ? "error" : "note"}`,
        text: `run ${event.is_error ? "failed" : "finished"} · ${u.input_tokens} in / ${u.output_tokens} out · ${money(u.cost_usd)}` });
    }
    default:
      return el("div", { class: "entry note", text: event.kind });
  }
}

// The row of the call a result answers: among this line's rows, else in the log.
function callRow(log, rows, id) {
  if (!id) return null;
  const selector = `.entry.tool[data-tool-id="${CSS.escape(id)}"]`;
  return rows.find((row) => row.matches(selector)) ?? log.querySelector(selector);
}

function answer(row, result) {
  const outcome = row.querySelector(".outcome");
  outcome.textContent = result.is_error ? "tool error" : "done";
  outcome.classList.toggle("error", result.is_error);
  row.append(el("pre", { class: `output${result.is_error ? " error" : ""}`, text: result.content }));
}

// The usage page: cost and tokens per day, per repository, agent and activity, drawn
// as SVG built node by node (never markup from data), and a CSV of the same rows.

import { call, url } from "./api.js";
import { showError } from "./errors.js";
import { el, money } from "./render.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 560;
const HEIGHT = 120;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

function titled(shape, text) {
  shape.append(svg("title", {}, document.createTextNode(text)));
  return shape;
}

// The client's offset from UTC in minutes east, so the server counts local days.
function offset() {
  return -new Date().getTimezoneOffset();
}

function tokens(row) {
  return row.input_tokens + row.cache_read_input_tokens + row.cache_creation_input_tokens;
}

function sumBy(rows, key) {
  const sums = new Map();
  for (const row of rows) {
    const entry = sums.get(row[key]) || { cost: 0, input: 0, output: 0 };
    entry.cost += row.cost_usd;
    entry.input += tokens(row);
    entry.output += row.output_tokens;
    sums.set(row[key], entry);
  }
  return sums;
}

// Vertical bars, one per day; each bar stacks its series (bottom first).
function dayChart(label, days, perDay, series) {
  const max = Math.max(0, ...days.map((day) => series.reduce((n, s) => n + s.value(perDay.get(day)), 0)));
  const step = WIDTH / days.length;
  const bars = days.flatMap((day, i) => {
    const entry = perDay.get(day);
    let top = HEIGHT;
    return series.map((s) => {
      const value = s.value(entry);
      const height = max ? (value / max) * (HEIGHT - 4) : 0;
      top -= height;
      return titled(svg("rect", { x: i * step + 1, y: top, width: Math.max(step - 2, 1), height,
        class: s.cls, "data-day": day }), `${day}: ${s.name} ${s.format(value)}`);
    });
  });
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT + 16}`, role: "img", "aria-label": label, class: "chart" },
    svg("line", { x1: 0, y1: HEIGHT, x2: WIDTH, y2: HEIGHT, class: "axis" }), ...bars,
    svg("text", { x: 0, y: HEIGHT + 13, class: "tick" }, document.createTextNode(days[0])),
    svg("text", { x: WIDTH, y: HEIGHT + 13, class: "tick", "text-anchor": "end" }, document.createTextNode(days[days.length - 1])));
  const legend = series.length > 1
    ? el("p", { class: "legend" }, ...series.map((s) => el("span", { class: `key ${s.cls}`, text: s.name })))
    : null;
  return el("figure", {}, el("figcaption", { text: `${label} (highest: ${series.length > 1 ? max.toLocaleString() : money(max)})` }), chart, legend);
}

// Horizontal bars, one per repository or agent, with their figures as text.
function shareChart(label, sums) {
  const entries = [...sums.entries()].sort((a, b) => b[1].cost - a[1].cost);
  const max = Math.max(0, ...entries.map(([, v]) => v.cost));
  return el("figure", {}, el("figcaption", { text: label }),
    el("ul", { class: "shares" }, ...entries.map(([name, v]) => el("li", {},
      el("span", { class: "name", text: name.split("/").filter(Boolean).pop() || name, title: name }),
      svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", class: "share", "aria-hidden": "true" },
        svg("rect", { x: 0, y: 0, height: 10, width: max ? (v.cost / max) * 100 : 0, class: "cost" })),
      el("span", { class: "figure", text: `${money(v.cost)} · ${(v.input + v.output).toLocaleString()} tokens` })))));
}

export class UsageDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.period = dialog.querySelector("#usage-days");
    this.body = dialog.querySelector("#usage-body");
    this.csv = dialog.querySelector("#usage-csv");
    for (const button of dialog.querySelectorAll("[data-close]")) button.addEventListener("click", () => dialog.close());
    this.period.addEventListener("change", () => this.load());
  }

  async open() {
    if (!this.dialog.open) this.dialog.showModal();
    await this.load();
  }

  async load() {
    const query = { days: this.period.value, offset: offset() };
    this.csv.href = url("usageCsv", {}, query);
    let data;
    try {
      data = await call("usage", { query });
    } catch (error) {
      showError(error, this.dialog);
      return;
    }
    const perDay = sumBy(data.rows, "day");
    const none = { cost: 0, input: 0, output: 0 };
    const at = (entry) => entry || none;
    const t = data.totals;
    const all = tokens(t) + t.output_tokens;
    const parts = [
      el("p", { id: "usage-totals", text: `${money(t.cost_usd)} and ${all.toLocaleString()} tokens in ${data.days.length} days` }),
      data.rows.length ? null : el("p", { class: "hint", text: "No runs in this period." }),
      dayChart("Cost per day", data.days, perDay, [
        { name: "cost", cls: "cost", value: (e) => at(e).cost, format: money },
      ]),
      dayChart("Tokens per day", data.days, perDay, [
        { name: "input and cache", cls: "input", value: (e) => at(e).input, format: (n) => n.toLocaleString() },
        { name: "output", cls: "output", value: (e) => at(e).output, format: (n) => n.toLocaleString() },
      ]),
      shareChart("Per repository", sumBy(data.rows, "repo")),
      shareChart("Per agent", sumBy(data.rows, "agent")),
      // The tasks' runs, and apart from them their verifiers and helpers.
      shareChart("Per activity", sumBy(data.rows, "activity")),
    ];
    this.body.replaceChildren(...parts.filter(Boolean));
  }
}

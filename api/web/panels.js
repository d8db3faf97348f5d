// Unassigned work with reasons, and KPIs per branch with a small inline-SVG chart.
import { t } from "./i18n.js";

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.append(td);
}

/** Fill the unassigned table: request, branch, reason (translated, code kept), detail. */
export function renderUnassigned(tbody, items, onOpen) {
  tbody.replaceChildren();
  tbody.onclick = (event) => {
    const row = event.target.closest("tr[data-request-id]");
    if (row) onOpen(row.dataset.requestId);
  };
  tbody.onkeydown = (event) => {
    const row = event.target.closest("tr[data-request-id]");
    if (row && event.key === "Enter") onOpen(row.dataset.requestId);
  };
  for (const item of items) {
    const row = document.createElement("tr");
    row.dataset.requestId = item.request_id;
    row.tabIndex = 0;
    cell(row, item.request_id);
    cell(row, item.branch_id);
    cell(row, `${t(`r_${item.reason}`)} (${item.reason})`);
    cell(row, item.detail);
    tbody.append(row);
  }
}

const FIGURES = [
  ["km", (k) => k.km?.toFixed(1)],
  ["travel_per_visit", (k) => k.travel_minutes_per_visit?.toFixed(1)],
  ["utilisation", (k) => pct(k.utilisation)],
  ["punctuality", (k) => pct(k.on_time_share)],
  ["emergencies_served", (k) => `${k.emergencies_served ?? 0} / ${k.emergencies ?? 0}`],
  ["workload_spread", (k) => k.workload_minutes_stdev?.toFixed(1)],
  ["assigned", (k) => `${k.assigned ?? 0} / ${k.requests ?? 0}`],
];

function pct(x) {
  return x == null ? "" : `${(x * 100).toFixed(1)}%`;
}

/** Fill the KPI table (one row per branch) and draw utilisation and punctuality bars. */
export function renderKpis(table, chart, perBranch) {
  const head = document.createElement("tr");
  for (const label of [t("branch"), ...FIGURES.map(([key]) => t(key))]) {
    const th = document.createElement("th");
    th.textContent = label;
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  table.tBodies[0].replaceChildren();
  for (const [branch, k] of perBranch) {
    const row = document.createElement("tr");
    row.dataset.branchId = branch;
    cell(row, branch);
    for (const [, show] of FIGURES) cell(row, show(k) ?? "");
    table.tBodies[0].append(row);
  }
  chart.replaceChildren(barChart(perBranch));
}

function barChart(perBranch) {
  const NS = "http://www.w3.org/2000/svg";
  const rowHeight = 34;
  const width = 520;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${perBranch.length * rowHeight + 24}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${t("utilisation")} / ${t("punctuality")}`);
  const text = (x, y, s, anchor = "start") => {
    const node = document.createElementNS(NS, "text");
    Object.entries({ x, y, "text-anchor": anchor, "font-size": 12 }).forEach(([a, v]) => node.setAttribute(a, v));
    node.textContent = s;
    svg.append(node);
  };
  const bar = (y, share, cls, branch) => {
    const r = document.createElementNS(NS, "rect");
    r.dataset.branchId = branch;
    Object.entries({ x: 70, y, height: 12, width: Math.max(0, Math.min(1, share ?? 0)) * (width - 140), class: cls }).forEach(([a, v]) => r.setAttribute(a, v));
    svg.append(r);
  };
  const key = (x, cls, label) => {
    const r = document.createElementNS(NS, "rect");
    Object.entries({ x, y: 4, width: 12, height: 10, class: cls }).forEach(([a, v]) => r.setAttribute(a, v));
    svg.append(r);
    text(x + 16, 14, label);
  };
  key(70, "bar-util", t("utilisation"));
  key(200, "bar-time", t("punctuality"));
  perBranch.forEach(([branch, k], i) => {
    const y = 24 + i * rowHeight;
    text(62, y + 16, branch, "end");
    bar(y, k.utilisation, "bar-util", branch);
    bar(y + 14, k.on_time_share, "bar-time", branch);
    text(width - 64, y + 11, pct(k.utilisation));
    text(width - 64, y + 25, pct(k.on_time_share));
  });
  return svg;
}

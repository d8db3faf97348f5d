// The day board: one row per engineer, visits as blocks on a time axis, slot shaded behind.
import { t } from "./i18n.js";

/** Minutes since local midnight of an ISO time as the plan wrote it (the service area's clock). */
export function clock(iso) {
  const m = /T(\d\d):(\d\d)/.exec(iso);
  return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
}

export function hhmm(iso) {
  const m = /T(\d\d:\d\d)/.exec(iso ?? "");
  return m ? m[1] : "";
}

function span(from, to, range) {
  const width = range.end - range.start;
  return `left:${((from - range.start) / width) * 100}%;width:${Math.max(((to - from) / width) * 100, 0.3)}%`;
}

function el(tag, cls, attrs = {}) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/** The hours the board shows: the day's earliest departure to its latest return, whole hours. */
function rangeOf(routes) {
  let start = 8 * 60;
  let end = 18 * 60;
  for (const r of routes) {
    for (const s of r.stops) {
      start = Math.min(start, clock(s.arrival) - s.travel_minutes, clock(s.slot_start));
      end = Math.max(end, clock(s.end) + r.return_travel_minutes, clock(s.slot_end));
    }
  }
  return { start: Math.floor(start / 60) * 60, end: Math.ceil(end / 60) * 60 };
}

function axis(range) {
  const row = el("div", "row axis");
  row.append(el("div", "label"));
  const track = el("div", "track");
  for (let m = range.start; m <= range.end; m += 60) {
    const tick = el("span", "tick", { style: `left:${((m - range.start) / (range.end - range.start)) * 100}%` });
    tick.textContent = `${String(m / 60).padStart(2, "0")}:00`;
    track.append(tick);
  }
  row.append(track);
  return row;
}

function visitBlock(stop, request, range) {
  const start = clock(stop.start);
  const end = clock(stop.end);
  const priority = request?.priority ?? "normal";
  const promised = Boolean(request?.promised_date);
  const late = start > clock(stop.slot_end) || start < clock(stop.slot_start);
  const block = el("div", `visit ${priority}${promised ? " promised" : ""}${late ? " late" : ""}`, {
    tabindex: "0", role: "button", "data-request-id": stop.request_id, style: span(start, end, range),
    title: `${stop.request_id} ${hhmm(stop.start)}–${hhmm(stop.end)} ${request?.product ?? ""}`,
  });
  block.textContent = stop.request_id;
  return block;
}

function routeRow(route, engineer, requests, range) {
  const row = el("div", "row", { "data-engineer-id": route.engineer_id });
  const label = el("div", "label");
  label.textContent = engineer ? `${engineer.name} · ${route.engineer_id}` : route.engineer_id;
  label.title = `${route.stops.length} ${t("visits")}`;
  const track = el("div", "track");
  for (const s of route.stops) {
    const shade = el("div", `slot${requests.get(s.request_id)?.promised_date ? " promised" : ""}`, {
      style: span(clock(s.slot_start), clock(s.slot_end), range),
    });
    const arrival = clock(s.arrival);
    const drive = el("div", "drive", { style: span(arrival - s.travel_minutes, arrival, range), title: `${t("travel")} ${s.travel_minutes.toFixed(0)} min` });
    track.append(shade, drive);
  }
  if (route.break) {
    const lunch = el("div", "lunch", { style: span(clock(route.break.start), clock(route.break.end), range), title: t("lunch") });
    track.append(lunch);
  }
  if (route.stops.length) {
    const last = route.stops[route.stops.length - 1];
    const back = clock(last.end);
    track.append(el("div", "drive", { style: span(back, back + route.return_travel_minutes, range), title: `${t("travel")} ${route.return_travel_minutes.toFixed(0)} min` }));
  }
  for (const s of route.stops) track.append(visitBlock(s, requests.get(s.request_id), range));
  row.append(label, track);
  return row;
}

/** Draw the board of `routes` into `container`; `onOpen(requestId)` on click or Enter on a visit. */
export function renderBoard(container, routes, engineers, requests, onOpen) {
  container.replaceChildren();
  const range = rangeOf(routes);
  container.append(axis(range));
  const sorted = [...routes].sort((a, b) => a.engineer_id.localeCompare(b.engineer_id));
  for (const route of sorted) container.append(routeRow(route, engineers.get(route.engineer_id), requests, range));
  container.onclick = (event) => {
    const block = event.target.closest("[data-request-id]");
    if (block) onOpen(block.dataset.requestId);
  };
  container.onkeydown = (event) => {
    const block = event.target.closest("[data-request-id]");
    if (block && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      onOpen(block.dataset.requestId);
    }
  };

}

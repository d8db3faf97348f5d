// The dispatch desk page: sign in, load a day, draw board, map, unassigned work and KPIs, act.
import { api, ApiError, describe, getKey, setKey } from "./api.js";
import { applyLabels, language, setLanguage, t } from "./i18n.js";
import { renderBoard, hhmm } from "./board.js";
import { drawRoutes, initMap, refreshMap } from "./map.js";
import { renderKpis, renderUnassigned } from "./panels.js";
import { bookSlot, findSlots, moveVisit, offsetOf, replan, runPlanJob, showOffers } from "./actions.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_GRID = [["08:00", "10:00"], ["10:00", "12:00"], ["13:00", "15:00"], ["15:00", "17:00"], ["17:00", "19:00"]];

const state = {
  day: "", filter: "", current: new Map(), engineers: new Map(), requests: new Map(),
  routes: [], unassigned: [], jobs: [], booking: null, offers: [],
};

function tomorrow() {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function say(text, cls = "") {
  $("status").textContent = text;
  $("status").className = `status ${cls}`;
}

function problem(error) {
  if (error instanceof ApiError && error.status === 401) return t("bad_key");
  if (error instanceof ApiError && error.status === 403) return `${t("forbidden")} (${describe(error)})`;
  if (error instanceof ApiError && error.status === 404) return `${t("not_found")} (${describe(error)})`;
  return describe(error);
}

async function optional(path, fallback) {
  try {
    return await api(path);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return fallback;
    throw error;
  }
}

async function loadDay() {
  say(t("loading"));
  const [branches, current, engineers, requests, jobs] = await Promise.all([
    api("/branches"),
    api(`/plans/current?date=${state.day}`),
    optional("/engineers", []),
    optional(`/requests?date=${state.day}&limit=1000`, null),
    optional(`/desk/jobs?date=${state.day}`, []),
  ]);
  state.jobs = jobs;
  const select = $("branch-filter");
  const keep = select.value;
  select.replaceChildren(select.options[0]);
  for (const b of branches) select.append(new Option(`${b.branch_id} ${b.name}`, b.branch_id));
  select.value = branches.some((b) => b.branch_id === keep) ? keep : "";
  state.filter = select.value;
  state.current = new Map(current.map((c) => [c.branch_id, c]));
  state.engineers = new Map(engineers.map((e) => [e.engineer_id, e]));
  state.requests = new Map((requests ?? []).map((r) => [r.request_id, r]));
  if (requests) await fetchMissingRequests(); // a planner reads no requests: the board shows ids alone
  render();
  const visits = state.routes.reduce((n, r) => n + r.stops.length, 0);
  say(current.length ? `${t("loaded")} ${state.day}: ${state.routes.length} ${t("engineers_on_shift")}, ${visits} ${t("visits")}` : t("no_plan"), current.length ? "" : "warn");
}

async function fetchMissingRequests() {
  const wanted = new Set();
  for (const c of state.current.values()) c.plan.routes.forEach((r) => r.stops.forEach((s) => wanted.add(s.request_id)));
  const missing = [...wanted].filter((id) => !state.requests.has(id)).slice(0, 200);
  const found = await Promise.all(missing.map((id) => optional(`/requests/${encodeURIComponent(id)}`, null)));
  found.filter(Boolean).forEach((r) => state.requests.set(r.request_id, r));
}

function render() {
  const shown = [...state.current.values()].filter((c) => !state.filter || c.branch_id === state.filter);
  state.routes = shown.flatMap((c) => c.plan.routes.filter((r) => r.date === state.day));
  state.unassigned = shown.flatMap((c) => c.plan.unassigned.map((u) => ({ ...u, branch_id: c.branch_id })));
  renderBoard($("board"), state.routes, state.engineers, state.requests, openDetails);
  renderUnassigned($("unassigned-table").tBodies[0], state.unassigned, openDetails);
  const perBranch = shown.map((c) => [c.branch_id, c.plan.kpis?.branches?.[c.branch_id] ?? {}]);
  renderKpis($("kpi-table"), $("kpi-chart"), perBranch);
  const pick = $("map-engineer");
  const chosen = pick.value;
  pick.replaceChildren(pick.options[0], ...state.routes.filter((r) => r.stops.length).map((r) => new Option(r.engineer_id, r.engineer_id)));
  pick.value = state.routes.some((r) => r.engineer_id === chosen) ? chosen : "";
  drawRoutes(state.routes, state.engineers, state.requests, pick.value, openDetails);
}

function findStop(requestId) {
  for (const route of state.routes) {
    const stop = route.stops.find((s) => s.request_id === requestId);
    if (stop) return { route, stop };
  }
  return { route: null, stop: null };
}

function slotChoices(stop) {
  const offset = offsetOf(state);
  const seen = new Map();
  for (const [a, b] of DEFAULT_GRID) seen.set(`${a}-${b}`, { start: `${state.day}T${a}:00${offset}`, end: `${state.day}T${b}:00${offset}` });
  for (const r of state.routes) for (const s of r.stops) seen.set(`${hhmm(s.slot_start)}-${hhmm(s.slot_end)}`, { start: s.slot_start, end: s.slot_end });
  const select = $("move-slot");
  select.replaceChildren(new Option(stop ? `${t("keep_slot")} (${hhmm(stop.slot_start)}–${hhmm(stop.slot_end)})` : "—", ""));
  for (const [label, slot] of [...seen.entries()].sort()) select.append(new Option(label, JSON.stringify(slot)));
}

function openDetails(requestId) {
  const { route, stop } = findStop(requestId);
  const request = state.requests.get(requestId) ?? {};
  const left = stop ? null : state.unassigned.find((u) => u.request_id === requestId);
  $("details-title").textContent = `${t("request")} ${requestId}`;
  const rows = [
    [t("engineer"), route?.engineer_id], [t("priority"), request.priority && t(`p_${request.priority}`)],
    [t("product"), request.product], [t("fault"), request.fault], [t("customer"), request.customer],
    [t("phone"), request.phone], [t("address"), request.address], [t("status"), request.status],
    [t("promised"), request.promised_date ? `${request.promised_date} ${request.promised_start}–${request.promised_end}` : ""],
    [t("slot"), stop && `${hhmm(stop.slot_start)}–${hhmm(stop.slot_end)}`], [t("arrival"), stop && hhmm(stop.arrival)],
    [t("start"), stop && hhmm(stop.start)], [t("end"), stop && hhmm(stop.end)],
    [t("travel_min"), stop?.travel_minutes?.toFixed(1)], [t("travel_km"), stop?.travel_km?.toFixed(1)],
    [t("reason"), left && `${t(`r_${left.reason}`)}: ${left.detail}`],
  ];
  const body = $("details-body");
  body.replaceChildren();
  for (const [k, v] of rows) {
    if (v == null || v === "") continue;
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = v;
    body.append(dt, dd);
  }
  const pick = $("move-engineer");
  pick.replaceChildren(...state.routes.map((r) => new Option(`${r.engineer_id} ${state.engineers.get(r.engineer_id)?.name ?? ""}`, r.engineer_id)));
  if (route) pick.value = route.engineer_id;
  slotChoices(stop);
  $("move-result").replaceChildren();
  $("move-form").dataset.requestId = requestId;
  $("details").showModal();
}

async function showTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const panel of document.querySelectorAll(".tab")) panel.hidden = panel.id !== `tab-${name}`;
  if (name === "map") {
    initMap($("map"), await configured, $("map-note"));
    refreshMap();
    drawRoutes(state.routes, state.engineers, state.requests, $("map-engineer").value, openDetails);
  }
}

async function signedIn() {
  $("signin").hidden = true;
  $("desk").hidden = false;
  $("sign-out").hidden = false;
  try {
    await loadDay();
  } catch (error) {
    say(problem(error), "error");
    if (error instanceof ApiError && error.status === 401) signOut(t("bad_key"));
  }
}

function signOut(message = "") {
  setKey(null);
  $("desk").hidden = true;
  $("sign-out").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
}

function formFields(form) {
  return Object.fromEntries([...new FormData(form).entries()].map(([k, v]) => [k, String(v).trim()]).filter(([, v]) => v !== ""));
}

function wire() {
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setKey($("api-key").value.trim());
    $("api-key").value = "";
    signedIn();
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("lang").addEventListener("click", () => {
    setLanguage(language() === "zh" ? "en" : "zh");
    $("lang").textContent = language() === "zh" ? "English" : "中文";
    if (getKey()) render();
  });
  $("day").addEventListener("change", () => { state.day = $("day").value; loadDay().catch((e) => say(problem(e), "error")); });
  $("branch-filter").addEventListener("change", () => { state.filter = $("branch-filter").value; render(); });
  $("map-engineer").addEventListener("change", () => drawRoutes(state.routes, state.engineers, state.requests, $("map-engineer").value, openDetails));
  for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  $("move-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const slot = $("move-slot").value ? JSON.parse($("move-slot").value) : null;
    const ok = await moveVisit(state, event.target.dataset.requestId, $("move-engineer").value, slot, $("move-result"));
    if (ok) await loadDay();
  });
  $("book-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("booking-result").replaceChildren();
    try {
      const { request, offers } = await findSlots(state, formFields(event.target), $("book-message"));
      Object.assign(state, { booking: request, offers });
      showOffers($("offer-form"), $("offers"), offers);
    } catch (error) {
      $("book-message").textContent = problem(error);
    }
  });
  $("offer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = state.offers[Number(new FormData(event.target).get("offer"))];
    const answer = await bookSlot(state.booking, chosen, $("book-message"));
    if (answer.offers) Object.assign(state, { offers: answer.offers }), showOffers($("offer-form"), $("offers"), answer.offers);
    if (answer.booking) {
      const b = answer.booking;
      $("offer-form").hidden = true;
      Object.assign($("booking-result").dataset, { requestId: b.request_id, workOrder: b.work_order });
      $("booking-result").textContent = `${t("booked")}: ${b.request_id} ${b.date} ${hhmm(b.slot_start) || b.slot_start}–${hhmm(b.slot_end) || b.slot_end} · ${t("engineer")} ${b.engineer_id} · ${t("work_order")} ${b.work_order} · ${t("verification_code")} ${b.verification_code}`;
    }
  });
  $("plan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const limit = Number(new FormData(event.target).get("time_limit_s")) || 10;
      if (await runPlanJob(state, limit, $("plan-progress"), $("plan-message"), $("plan-stop"))) await loadDay();
    } catch (error) {
      $("plan-message").textContent = problem(error);
    }
  });
  $("replan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await replan(state, formFields(event.target), $("replan-result"))) await loadDay();
  });
}

/** Page settings when the service gives none: no map tiles. */
const NO_CONFIG = { tile_url: "" };
/** The service's page settings (map tiles); the map waits for them, the sign-in does not. */
let configured = Promise.resolve(NO_CONFIG);

async function start() {
  setLanguage(language());
  $("lang").textContent = language() === "zh" ? "English" : "中文";
  state.day = tomorrow();
  const wanted = new URLSearchParams(location.search).get("date");
  if (wanted && /^\d{4}-\d\d-\d\d$/.test(wanted)) state.day = wanted;
  $("day").value = state.day;
  // Wired before anything is awaited: a sign-in submitted while the page still loads must
  // not fall through to the browser's own form submission (a reload that loses the key).
  wire();
  applyLabels(document);
  configured = fetch("/desk/config").then((r) => r.json()).catch(() => NO_CONFIG);
  if (getKey()) await signedIn();
}

start();

// What the desk does: book a caller, move a visit (checked first), run a plan job, re-plan the day.
import { api, ApiError, describe } from "./api.js";
import { hhmm } from "./board.js";
import { t } from "./i18n.js";

/** The UTC offset the plan writes its times with (the service area's), e.g. "+08:00". */
export function offsetOf(state) {
  for (const route of state.routes) {
    for (const s of route.stops) {
      const m = /([+-]\d\d:\d\d|Z)$/.exec(s.start);
      if (m) return m[1];
    }
  }
  return "+08:00";
}

function line(container, text, cls = "") {
  const p = document.createElement("p");
  p.textContent = text;
  if (cls) p.className = cls;
  container.append(p);
  return p;
}

function unavailable(error, what) {
  return error instanceof ApiError && (error.status === 404 || error.status === 405) && !String(describe(error)).includes(" not found")
    ? `${t("not_available")}: ${what}`
    : null;
}

/** One document of the plans in force of `branches`: their routes and unassigned work together. */
export function mergedPlan(state, branches) {
  const dates = new Set();
  const routes = [];
  const unassigned = [];
  const seen = new Set();
  for (const b of branches) {
    const doc = state.current.get(b).plan;
    doc.dates.forEach((d) => dates.add(d));
    for (const r of doc.routes) if (!seen.has(`${r.engineer_id}/${r.date}`)) { seen.add(`${r.engineer_id}/${r.date}`); routes.push(r); }
    for (const u of doc.unassigned) if (!seen.has(u.request_id)) { seen.add(u.request_id); unassigned.push(u); }
  }
  return { dates: [...dates].sort(), routes, unassigned, kpis: {} };
}

function showViolations(box, violations) {
  line(box, t("violations"), "error");
  const list = document.createElement("ul");
  list.className = "violations";
  for (const v of violations) {
    const li = document.createElement("li");
    li.dataset.code = v.code;
    li.textContent = `${v.code}: ${v.message}${v.request_id ? ` [${v.request_id}]` : ""}${v.engineer_id ? ` [${v.engineer_id}]` : ""}`;
    list.append(li);
  }
  box.append(list);
}

/** Move a visit: draw the edit, check it with /plans/check, save it only when nothing is violated. */
export async function moveVisit(state, requestId, engineerId, slot, box) {
  box.replaceChildren();
  line(box, t("checking"));
  // The day's plans of every branch in sight go together: a route may serve work nearer another branch.
  const branches = [...state.current.keys()].sort();
  const body = { plan: mergedPlan(state, branches), branches, request_id: requestId, engineer_id: engineerId, date: state.day };
  if (slot) Object.assign(body, { slot_start: slot.start, slot_end: slot.end });
  try {
    const moved = await api("/plans/edits/move", { method: "POST", body });
    let violations = [];
    try {
      violations = (await api("/plans/check", { method: "POST", body: { plan: moved.plan, branches } })).violations;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 403)) throw error; // managers: the save checks it
    }
    box.replaceChildren();
    if (violations.length) return showViolations(box, violations), false;
    const based_on = Object.fromEntries(branches.map((b) => [b, state.current.get(b).plan_id]));
    const saved = await api("/plans/edits", { method: "POST", body: { plan: moved.plan, based_on } });
    line(box, `${t("saved")} v${saved.version}`, "ok");
    return true;
  } catch (error) {
    box.replaceChildren();
    if (error instanceof ApiError && error.status === 422 && error.detail?.violations) showViolations(box, error.detail.violations);
    else line(box, describe(error), "error");
    return false;
  }
}

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function offerOption(offer, index) {
  const label = document.createElement("label");
  label.className = "offer";
  const input = document.createElement("input");
  Object.assign(input, { type: "radio", name: "offer", value: String(index), required: true });
  const why = offer.why ? Object.entries(offer.why).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ") : "";
  const parts = [
    `${offer.date} ${hhmm(offer.slot_start) || offer.slot_start}–${hhmm(offer.slot_end) || offer.slot_end}`,
    `${t("grade")} ${offer.grade ?? ""}`, `${t("engineer")} ${offer.engineer_id ?? ""}`,
    offer.eta ? `${t("eta")} ${hhmm(offer.eta)}` : "", offer.remote_surcharge ? t("surcharge") : "",
  ].filter(Boolean);
  label.append(input, ` ${parts.join(" · ")}`);
  if (why) label.title = why;
  label.dataset.date = offer.date;
  label.dataset.grade = offer.grade ?? "";
  return label;
}

/** Show `offers` as choices in the offer form. */
export function showOffers(form, list, offers) {
  list.replaceChildren(...offers.map(offerOption));
  form.hidden = offers.length === 0;
}

/** Book: store the caller's request, fetch graded slots; returns the request and its offers. */
export async function findSlots(state, fields, message) {
  message.textContent = t("loading");
  const request = {
    request_id: `W${Date.now().toString(36).toUpperCase()}`,
    received_at: new Date().toISOString(),
    ...fields,
    ...(fields.lat && fields.lon ? { lat: Number(fields.lat), lon: Number(fields.lon) } : {}),
    earliest_date: state.day,
    latest_date: addDays(state.day, 6),
  };
  await api("/requests", { method: "POST", body: request });
  try {
    const answer = await api("/slots/offer", { method: "POST", body: { request, days: 7, start_date: state.day } });
    message.textContent = answer.offers.length ? `${request.request_id}: ${t("offers")}` : `${t("no_offers")}: ${answer.reason ?? ""}`;
    return { request, offers: answer.offers };
  } catch (error) {
    message.textContent = unavailable(error, "POST /slots/offer") ?? describe(error);
    return { request, offers: [] };
  }
}

/** Book the chosen offer; the booking, or the fresh offers when the slot is gone (409). */
export async function bookSlot(request, offer, message) {
  const body = { request_id: request.request_id, date: offer.date, slot_start: offer.slot_start, slot_end: offer.slot_end };
  try {
    const booking = await api("/bookings", { method: "POST", body });
    message.textContent = t("booked");
    return { booking };
  } catch (error) {
    const fresh = error instanceof ApiError && error.status === 409 ? error.body?.offers ?? error.detail?.offers : null;
    if (fresh) {
      message.textContent = `${t("slot_gone")} ${typeof error.detail === "string" ? error.detail : ""}`;
      return { offers: fresh };
    }
    message.textContent = unavailable(error, "POST /bookings") ?? describe(error);
    return {};
  }
}

/** Run a plan job for the day and show its progress until it ends; whether it produced a plan. */
export async function runPlanJob(state, limit, bar, message, stopButton) {
  const body = { dates: [state.day], time_limit_s: limit };
  if (state.filter) body.branches = [state.filter];
  const { id } = await api("/plans", { method: "POST", body });
  bar.hidden = false;
  stopButton.hidden = false;
  stopButton.onclick = () => api(`/plans/${id}`, { method: "DELETE" }).catch(() => {});
  message.textContent = t("plan_queued");
  for (;;) {
    const job = await api(`/plans/${id}`);
    bar.value = job.progress;
    message.textContent = `${job.status} ${Math.round(job.progress * 100)}% ${job.message ?? ""}`;
    if (["done", "failed", "cancelled"].includes(job.status)) {
      stopButton.hidden = true;
      message.textContent = job.status === "failed" ? `${t("plan_failed")}: ${job.error}` : `${t("plan_done")} (v${job.version})`;
      return job.status !== "failed";
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

/** Re-plan the rest of the day from `now` after one event, through a finished job of the day; shows the diff. */
export async function replan(state, fields, box) {
  box.replaceChildren();
  const branch = state.filter || [...state.current.keys()][0];
  const job = state.jobs.find((j) => !j.branches || j.branches.includes(branch));
  if (!job) return line(box, t("no_job"), "error"), false;
  const offset = offsetOf(state);
  const now = `${state.day}T${fields.now || fields.at || "12:00"}:00${offset}`;
  const at = fields.at ? `${state.day}T${fields.at}:00${offset}` : undefined;
  const event = { type: fields.type };
  if (fields.engineer_id) event.engineer_id = fields.engineer_id;
  if (fields.request_id) event.request_id = fields.request_id;
  if (at) Object.assign(event, fields.type === "visit_overrun" ? { expected_end: at } : fields.type === "engineer_unavailable" ? { start: at } : { at });
  line(box, t("loading"));
  try {
    const answer = await api(`/plans/${job.id}/replan`, { method: "POST", body: { now, events: [event], time_limit_s: Number(fields.time_limit_s) || 5 } });
    box.replaceChildren();
    line(box, `${t("saved")} v${answer.version}`, "ok");
    for (const key of ["moved", "reassigned", "broken_promises", "dropped", "notify"]) {
      const items = answer.diff[key] ?? [];
      line(box, `${t(key)}: ${items.length ? items.map((x) => x.request_id).join(", ") : "—"}`).dataset.diff = key;
    }
    return true;
  } catch (error) {
    box.replaceChildren();
    line(box, unavailable(error, "POST /plans/{id}/replan") ?? describe(error), "error");
    return false;
  }
}

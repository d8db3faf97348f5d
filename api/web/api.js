// The service's API with the key of this browser session (sessionStorage, never localStorage).
const KEY = "desk.apiKey";

/** An answer other than 2xx: its status and the service's detail. */
export class ApiError extends Error {
  constructor(status, detail, body) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

export function getKey() {
  return sessionStorage.getItem(KEY);
}

export function setKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** Call `path` with the method and JSON body; the parsed answer, or an ApiError. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: `Bearer ${getKey() ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!answer.ok) throw new ApiError(answer.status, data && data.detail !== undefined ? data.detail : data, data);
  return data;
}

/** A readable line for an error's detail (FastAPI's list of {loc, msg} included). */
export function describe(error) {
  const detail = error instanceof ApiError ? error.detail : String(error);
  if (Array.isArray(detail)) {
    return detail.map((d) => (d.loc ? `${d.loc.filter((p) => p !== "body").join(".")}: ${d.msg}` : d.message ?? JSON.stringify(d))).join("; ");
  }
  if (detail && typeof detail === "object") return detail.message ?? JSON.stringify(detail);
  return detail ?? "";
}

// The API client. URLs come from the server's route table (GET /api/routes),
// never from strings copied here; the browser's session cookie authenticates.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let routes = null;

export async function loadRoutes() {
  const response = await fetch("/api/routes", { credentials: "same-origin" });
  if (!response.ok) throw new ApiError(response.status, await errorText(response));
  routes = await response.json();
}

export function url(name, params = {}, query = {}) {
  const route = routes[name];
  if (!route) throw new Error(`unknown route ${name}`);
  const path = route.path.replace(/\{(\w+)(:[^}]*)?\}/g, (_, key) => encodeURIComponent(params[key]));
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function call(name, { params = {}, query = {}, body } = {}) {
  const route = routes[name];
  const init = { method: route.method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(name, params, query), init);
  if (!response.ok) throw new ApiError(response.status, await errorText(response));
  return response.status === 204 ? null : response.json();
}

async function errorText(response) {
  try {
    const data = await response.json();
    return data.error || response.statusText;
  } catch {
    return response.statusText;
  }
}

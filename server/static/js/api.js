// The API client. URLs come from the server's route table (GET /api/routes),
// never from strings copied here; the browser's session cookie authenticates.
// Every failure, an error answer or no answer at all, becomes one ApiError.

export class ApiError extends Error {
  // field: the request field the server named as at fault, or null.
  constructor(status, message, field = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
  }
}

let routes = null;

export async function loadRoutes() {
  routes = await send("GET", "/api/routes");
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
  const path = url(name, params, query);
  return send(routes[name].method, path, body);
}

// For the few requests made before the route table can be read (sign-in).
export async function send(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetched(path, init);
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

// A read that got no answer is asked again, twice: Chromium drops requests in flight
// when the host's network changes, as it does each time Docker makes a container's
// interface. A write is not: it may have been done.
async function fetched(path, init) {
  const waits = init.method === "GET" ? [200, 600] : [];
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(path, init);
    } catch {
      if (attempt >= waits.length) throw new ApiError(0, "The server cannot be reached.");
      await new Promise((resolve) => setTimeout(resolve, waits[attempt]));
    }
  }
}

async function failure(response) {
  let data = {};
  try {
    data = await response.json();
  } catch {
    // not JSON (a proxy's error page): the status line is all there is
  }
  const message = data.error || response.statusText || `HTTP ${response.status}`;
  return new ApiError(response.status, message, data.field || null);
}

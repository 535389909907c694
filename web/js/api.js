// REST calls and the saved login. Errors carry the server's {code, message}.

const TOKEN_KEY = "mentorburst.token";
const USER_KEY = "mentorburst.user";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const login = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get user() {
    try { return JSON.parse(localStorage.getItem(USER_KEY)); } catch { return null; }
  },
  save(token, user) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

export async function request(method, path, body, { auth = false, keepalive = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && login.token) headers.Authorization = `Bearer ${login.token}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, keepalive, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "Can't reach mentorburst. Check your connection.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    throw new ApiError(response.status, error.code || "http_error", error.message || response.statusText);
  }
  return data;
}

export const api = {
  login: (name) => request("POST", "/api/login", { name }),
  skills: () => request("GET", "/api/skills"),
  ice: () => request("GET", "/api/ice", undefined, { auth: true }),
  history: () => request("GET", "/api/me/history", undefined, { auth: true }),
  user: (id) => request("GET", `/api/users/${encodeURIComponent(id)}`),
  eventResults: (eventId) => request("GET", `/api/events/${encodeURIComponent(eventId)}/me`, undefined, { auth: true }),
  rate: (sessionId, rating, keepalive = false) =>
    request("POST", `/api/sessions/${encodeURIComponent(sessionId)}/rating`, rating, { auth: true, keepalive }),
};

// REST calls and the saved login. Errors carry the server's {code, message}.

const TOKEN_KEY = "mentorburst.token";
const USER_KEY = "mentorburst.user";
const RENEW_KEY = "mentorburst.renewAt";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter; // seconds, on a 429
  }
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Run `call`; on a 429, wait out its Retry-After and try again (at most `attempts` times),
 * telling `onWait(seconds)` each time. A little jitter keeps a room that was refused together
 * from coming back all in the same instant. */
export async function retrying(call, onWait, { attempts = 10 } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (failure) {
      if (!(failure instanceof ApiError) || failure.status !== 429 || attempt >= attempts) throw failure;
      const wait = Math.max(1, failure.retryAfter || 1);
      onWait(wait);
      await sleep(wait * (1 + Math.random() * 0.3));
    }
  }
}

export const login = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get user() {
    try { return JSON.parse(localStorage.getItem(USER_KEY)); } catch { return null; }
  },
  /** When (this browser's ms) to renew the token: half its lifetime from now. */
  get renewAt() { return Number(localStorage.getItem(RENEW_KEY) || 0); },
  /** Keep a login answer: {token, user, expires_in_s}. */
  save({ token, user, expires_in_s: lifetime }) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
    localStorage.setItem(RENEW_KEY, String(Date.now() + (lifetime || 3600) * 500));
  },
  rename(name) {
    const user = this.user;
    if (user) localStorage.setItem(USER_KEY, JSON.stringify({ ...user, name }));
  },
  clear() {
    for (const key of [TOKEN_KEY, USER_KEY, RENEW_KEY]) localStorage.removeItem(key);
  },
};

export async function request(method, path, body, { auth = false, keepalive = false, text = false } = {}) {
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
  if (text && response.ok) return response.text();
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    const retryAfter = Number(response.headers.get("Retry-After") || error.retry_after_s) || null;
    throw new ApiError(response.status, error.code || "http_error", error.message || response.statusText, retryAfter);
  }
  return data;
}

export const api = {
  login: (name) => request("POST", "/api/login", { name }),
  authConfig: () => request("GET", "/api/auth/config"),
  refresh: () => request("POST", "/api/token/refresh", undefined, { auth: true }),
  me: () => request("GET", "/api/me", undefined, { auth: true }),
  saveProfile: (profile) => request("PUT", "/api/me/profile", profile, { auth: true }),
  signOutEverywhere: () => request("POST", "/api/me/signout-all", undefined, { auth: true }),
  signOut: () => request("POST", "/api/me/signout", undefined, { auth: true }),
  deleteAccount: () => request("DELETE", "/api/me", undefined, { auth: true }),
  passkeyRegisterOptions: () => request("POST", "/api/passkeys/register/options", undefined, { auth: true }),
  passkeyRegister: (body) => request("POST", "/api/passkeys/register", body, { auth: true }),
  passkeySigninOptions: () => request("POST", "/api/passkeys/signin/options"),
  passkeySignin: (body) => request("POST", "/api/passkeys/signin", body),
  removePasskey: (id) => request("DELETE", `/api/me/passkeys/${encodeURIComponent(id)}`, undefined, { auth: true }),
  oidcStart: (link) => request("POST", "/api/oidc/start", undefined, { auth: link }),
  oidcFinish: (body) => request("POST", "/api/oidc/finish", body),
  skills: () => request("GET", "/api/skills"),
  ice: () => request("GET", "/api/ice", undefined, { auth: true }),
  history: () => request("GET", "/api/me/history", undefined, { auth: true }),
  hostedEvents: () => request("GET", "/api/me/events", undefined, { auth: true }),
  settings: () => request("GET", "/api/settings"),
  session: (id) => request("GET", `/api/sessions/${encodeURIComponent(id)}`, undefined, { auth: true }),
  sessionMarkdown: (id) =>
    request("GET", `/api/sessions/${encodeURIComponent(id)}?format=markdown`, undefined, { auth: true, text: true }),
  user: (id) => request("GET", `/api/users/${encodeURIComponent(id)}`),
  eventResults: (eventId) => request("GET", `/api/events/${encodeURIComponent(eventId)}/me`, undefined, { auth: true }),
  suggest: (question) => request("POST", "/api/skills/suggest", { question }),
  mentors: (query) => request("GET", `/api/mentors?${new URLSearchParams(query)}`),
  pointers: () => request("GET", "/api/me/pointers", undefined, { auth: true }),
  followups: () => request("GET", "/api/me/followups", undefined, { auth: true }),
  applied: (sessionId, body) =>
    request("POST", `/api/sessions/${encodeURIComponent(sessionId)}/applied`, body, { auth: true }),
  watch: (body) => request("POST", "/api/me/watches", body, { auth: true }),
  unwatch: (body) => request("POST", "/api/me/watches/remove", body, { auth: true }),
  watches: () => request("GET", "/api/me/watches", undefined, { auth: true }),
  hours: (userId) => request("GET", `/api/users/${encodeURIComponent(userId)}/office-hours`),
  saveHours: (hours) => request("PUT", "/api/me/office-hours", { hours }, { auth: true }),
  amAdmin: () => request("GET", "/api/me/admin", undefined, { auth: true }),
  analytics: (weeks = 12) => request("GET", `/api/admin/analytics?weeks=${weeks}`, undefined, { auth: true }),
  analyticsCsv: (table) => request("GET", `/api/admin/analytics?format=csv&table=${table}`, undefined, { auth: true, text: true }),
  noShows: () => request("GET", "/api/admin/no-shows", undefined, { auth: true }),
  rate: (sessionId, rating, keepalive = false) =>
    request("POST", `/api/sessions/${encodeURIComponent(sessionId)}/rating`, rating, { auth: true, keepalive }),
};

const ICE_REUSE_MS = 60_000;
let iceCache = null; // { token, servers: Promise, at }

/** ICE servers for the signed-in user, fetched at most once a minute: the pre-call check and the
 * warm connection (warm.js) share one fetch (and one of the user's GET /api/ice budget). */
export function iceServers() {
  const token = login.token;
  if (iceCache && iceCache.token === token && Date.now() - iceCache.at < ICE_REUSE_MS) return iceCache.servers;
  const servers = api.ice().then((answer) => answer.iceServers);
  const entry = { token, servers, at: Date.now() };
  iceCache = entry;
  servers.catch(() => { if (iceCache === entry) iceCache = null; }); // a failure is not kept
  return servers;
}

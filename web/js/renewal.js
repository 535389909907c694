// Silent renewal: while the app is open, trade the token for a fresh one at half its lifetime
// (POST /api/token/refresh) and tell the open socket (auth:renew), so nobody is signed out
// mid-call. Tabs share the token through localStorage; whichever tab is due renews it.
import { api, login } from "./api.js";

let timer = null;

export function scheduleRenewal(app) {
  clearTimeout(timer);
  if (!login.token) return;
  timer = setTimeout(() => renewNow(app), Math.max(1000, login.renewAt - Date.now()));
}

export async function renewNow(app) {
  if (!login.token) return;
  if (Date.now() < login.renewAt) { scheduleRenewal(app); return; } // another tab renewed
  try {
    const answer = await api.refresh();
    login.save(answer);
    app.signaling?.renew(answer.token);
    scheduleRenewal(app);
  } catch (failure) {
    if (failure.status === 401) app.signedOut(failure.message);
    else timer = setTimeout(() => renewNow(app), 30_000); // offline for now: try again soon
  }
}

/** Keep renewing across sleep and tabs. */
export function wireRenewal(app) {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && login.token && Date.now() >= login.renewAt) renewNow(app);
  });
  window.addEventListener("storage", (event) => {
    if (event.key !== "mentorburst.token") return;
    if (event.newValue) { app.signaling?.renew(event.newValue); scheduleRenewal(app); }
  });
}

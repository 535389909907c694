// Silent renewal: while the app is open, trade the token for a fresh one at half its lifetime
// (POST /api/token/refresh) and tell the open socket (auth:renew), so nobody is signed out
// mid-call. Tabs share the token through localStorage; whichever tab is due renews it.
import { api, login } from "./api.js";
import * as server from "./server.js";
import { signOutHere } from "./signin.js";

let timer = null;

export function scheduleRenewal() {
  clearTimeout(timer);
  if (!login.token) return;
  timer = setTimeout(() => renewNow(), Math.max(1000, login.renewAt - Date.now()));
}

export async function renewNow() {
  if (!login.token) return;
  if (Date.now() < login.renewAt) { scheduleRenewal(); return; } // another tab renewed
  try {
    const answer = await api.refresh();
    login.save(answer);
    server.renew(answer.token);
    scheduleRenewal();
  } catch (failure) {
    if (failure.status === 401) signOutHere(failure.message);
    else timer = setTimeout(() => renewNow(), 30_000); // offline for now: try again soon
  }
}

/** Keep renewing across sleep and tabs. */
export function wireRenewal() {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && login.token && Date.now() >= login.renewAt) renewNow();
  });
  window.addEventListener("storage", (event) => {
    if (event.key !== "mentorburst.token") return;
    if (event.newValue) { server.renew(event.newValue); scheduleRenewal(); }
  });
}

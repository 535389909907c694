// Signing in and out: as a guest (a name), with a passkey, or with the organisation's sign-in;
// the connection that follows; and what the landing page and the top bar say about who is
// signed in.
import { ApiError, api, login, retrying } from "./api.js";
import { closeElsewhere } from "./call.js";
import { catchUp } from "./chat.js";
import { notice, parts, show, viewSection } from "./dom.js";
import { checkFollowups, hideFollowups } from "./followups.js";
import { resyncNotes } from "./notes.js";
import { passkeysSupported, signInWithPasskey } from "./passkeys.js";
import { flushPendingRatings } from "./rating.js";
import { scheduleRenewal } from "./renewal.js";
import * as server from "./server.js";
import { openSetup } from "./setup.js";
import { startOrgSignIn } from "./sso.js";
import { accountLoaded, signedIn, signedOut, state } from "./state.js";
import { coolDown } from "./warm.js";

const landing = viewSection("landing");
const ui = parts(landing, {
  loginForm: "login-form", loginWelcome: "login-welcome", loginGuest: "login-guest", loginName: "login-name",
  loginError: "login-error", loginStatus: "login-status", loginRoles: "login-roles", loginOther: "login-other",
  loginOtherCaption: "login-other-caption", passkeySignin: "passkey-signin", ssoSignin: "sso-signin",
  signinError: "signin-error",
});
const topbar = document.querySelector(".topbar");
const nav = parts(topbar, {
  whoami: "whoami", navAdmin: "nav-admin", navKeep: "nav-keep", navHistory: "nav-history",
  navAccount: "nav-account", navSignout: "nav-signout",
});

export function wireSignIn() {
  ui.loginForm.addEventListener("submit", signIn);
  let confirmGuestSignOut = 0;
  nav.navSignout.addEventListener("click", () => {
    const guest = !state.me || state.me.kind === "guest";
    if (guest && Date.now() > confirmGuestSignOut) {
      confirmGuestSignOut = Date.now() + 10_000;
      notice("You're a guest: signing out loses this account for good. Keep it with a passkey first, or click Sign out again.", { ms: 10_000 });
      return;
    }
    // The server forgets this sign-in too, so a copied token stops working; signing out
    // locally goes ahead even when the server can't be reached.
    api.signOut().catch(() => {}).finally(() => signOutHere(""));
  });
  ui.passkeySignin.addEventListener("click", async () => {
    ui.signinError.textContent = "";
    try {
      await useLogin(await signInWithPasskey());
      notice(`Welcome back, ${login.user.name}.`);
      flushPendingRatings();
    } catch (failure) {
      ui.signinError.textContent = failure.message;
    }
  });
  ui.ssoSignin.addEventListener("click", () => startOrgSignIn(false).catch((failure) => {
    ui.signinError.textContent = failure.message;
  }));
}

/** Open the connection with the saved login and catch up: the account, follow-ups, the admin
 * link. The server re-sends our queue place, burst or live call, if any. */
export async function connect() {
  await server.open(login.token, () => {
    server.syncClock().catch(() => {});
    catchUp(); // messages and notes sent while this socket was away
    resyncNotes();
  });
  accountLoaded(await api.me().catch(() => null));
  renderAccount();
  checkFollowups();
  api.amAdmin().then((answer) => { nav.navAdmin.hidden = !answer.admin; }).catch(() => {});
}

/** The top bar and the landing page's sign-in, for who is signed in (if anyone). */
export function renderAccount() {
  const user = login.token ? login.user : null;
  const config = state.authConfig;
  const me = state.me;
  const guest = Boolean(user) && (!me || me.id !== user.id || me.kind === "guest");
  nav.whoami.textContent = user ? `Signed in as ${user.name}` : "";
  for (const button of [nav.navHistory, nav.navAccount, nav.navSignout]) button.hidden = !user;
  nav.navKeep.hidden = !user || !guest || !(config.passkeys || config.sso);
  ui.loginWelcome.hidden = !user;
  if (user) ui.loginWelcome.textContent = `Welcome back, ${user.name}. What would you like to do?`;
  ui.loginGuest.hidden = Boolean(user) || !config.guests;
  ui.loginRoles.hidden = !user && !config.guests;
  const passkeys = config.passkeys && passkeysSupported();
  ui.loginOther.hidden = Boolean(user) || !(passkeys || config.sso);
  ui.loginOtherCaption.textContent = config.guests ? "Been here before?" : "Sign in to continue.";
  ui.loginOther.classList.toggle("signin-only", !config.guests);
  ui.passkeySignin.hidden = !passkeys;
  ui.ssoSignin.hidden = !config.sso;
  for (const label of landing.querySelectorAll(".sso-label")) label.textContent = config.sso ? config.sso.label : "";
}

/** Forget the login on this browser and go back to the landing page. */
export function signOutHere(message, { error = true, ms = 8000 } = {}) {
  login.clear();
  nav.navAdmin.hidden = true;
  hideFollowups();
  ui.loginName.value = "";
  signedOut();
  coolDown();
  closeElsewhere();
  server.close();
  scheduleRenewal();
  renderAccount();
  show("landing");
  if (message) notice(message, { error, ms });
}

/** A login answer from any sign-in: keep it, connect, catch up. */
export async function useLogin(answer) {
  login.save(answer);
  signedIn();
  await connect();
  scheduleRenewal();
  renderAccount();
}

let pendingLogin = null; // one guest login at a time, however often the form is sent

/** Sign in as a new guest. When many sign in from one address at once (a venue's Wi-Fi) the
 * server may ask us to wait: we wait it out and try again, saying so, rather than fail. */
function guestLogin(name) {
  if (pendingLogin) return pendingLogin;
  const status = ui.loginStatus;
  pendingLogin = retrying(() => api.login(name), () => {
    status.textContent = "Busy, retrying…";
    status.hidden = false;
  }).then(useLogin).finally(() => {
    status.hidden = true;
    status.textContent = "";
    pendingLogin = null;
  });
  return pendingLogin;
}

/** Keep the current account, or start a guest one with the typed name; false on failure. */
export async function ensureSignedIn() {
  const error = ui.loginError;
  error.textContent = "";
  try {
    if (!login.token && !state.authConfig.guests) {
      ui.signinError.textContent = `Sign in with ${state.authConfig.sso ? state.authConfig.sso.label : "your organisation"} first.`;
      return false;
    }
    if (!login.token) {
      const name = ui.loginName.value.trim();
      if (!name) { error.textContent = "Type the name people will see."; ui.loginName.focus(); return false; }
      await guestLogin(name);
    }
    if (!server.isOpen()) await connect();
    return true;
  } catch (failure) {
    if (failure.code === "unauthorized") login.clear();
    error.textContent = failure instanceof ApiError || failure.message ? failure.message : "Please try again.";
    return false;
  }
}

async function signIn(event) {
  event.preventDefault();
  const role = event.submitter?.value || "mentee";
  if (await ensureSignedIn()) await openSetup(role);
}

// The app: sign-in, one Socket.IO connection, and routing of server events to the views.
import { openAccount, wireAccount } from "./account.js";
import { alertPerson } from "./alerts.js";
import { ApiError, api, login, retrying } from "./api.js";
import {
  callMoved, callStarted, callWarning, closeElsewhere, enterCall, forgetHeldCall, leaveCall, onSignal, wireCall,
} from "./call.js";
import { catchUp, onChatMessage, wireChat } from "./chat.js";
import { openDirectory, wireDirectory } from "./directory.js";
import { $, currentView, notice, show } from "./dom.js";
import { onEventRound, onEventUpdate, openCreate, openJoin, openLobby, openResults, wireEvents } from "./events.js";
import { onExtendRequested, wireExtend } from "./extend.js";
import { checkFollowups, onNotify, wireFollowups } from "./followups.js";
import { openHistory, openHostedEvent } from "./history.js";
import { onConsole, openHost, wireHost } from "./host.js";
import { wireHours } from "./hours.js";
import { LocalMedia } from "./media.js";
import { showMentor, updateMentor, wireMentor } from "./mentor.js";
import { goBack } from "./nav.js";
import { onNotesUpdate, resyncNotes, wireNotes } from "./notes.js";
import { wireOffer } from "./offer.js";
import { openProgram, wireProgram } from "./program.js";
import { flushPendingRatings, openRating, wireRating } from "./rating.js";
import { passkeysSupported, signInWithPasskey } from "./passkeys.js";
import { renewNow, scheduleRenewal, wireRenewal } from "./renewal.js";
import { openSetup, stopConnectionCheck, wireSetup } from "./setup.js";
import { wireShare } from "./share.js";
import { Signaling } from "./signaling.js";
import { askDirectly } from "./suggest.js";
import { finishOrgSignIn, isOrgCallback, startOrgSignIn } from "./sso.js";
import { offerWidening, showWaiting, updateWaiting, wireWaiting } from "./waiting.js";
import { coolDown, wireWarm } from "./warm.js";

const app = {
  signaling: null,
  media: new LocalMedia(),
  role: null,
  skills: [],
  waiting: null,
  burst: null,
  matched: null,
  started: null,
  call: null,
  elsewhere: null, // the session id of a call another tab of ours holds (call.js)
  countdown: null,
  rating: null,
  notice,
  openSetup: (role) => openSetup(app, role),
  openHistory: () => openHistory(app),
  showWaiting: (update) => showWaiting(app, update),
  showMentor: (update) => showMentor(app, update),
  view: () => currentView(),
  event: null,
  hosting: null,
  openHost: (state) => openHost(app, state),
  sittingOut: false,
  cameFrom: null,
  settings: { session_seconds: 900 },
  backToEvent: () => (app.event.state === "ended" ? openResults(app) : openLobby(app, app.event)),
  authConfig: { guests: true, passkeys: true, sso: null },
  me: null,
  renderAccount: () => renderAccount(),
  signedOut: (message, options) => signedOut(message, options),
  back: () => goBack(app),
  ensureSignedIn: () => ensureSignedIn(),
  /** "Ask again" from My sessions: a personal request to that mentor. */
  askAgain: async (mentor, skill) => {
    const profile = await api.user(mentor.id).catch(() => ({}));
    askDirectly({ ...mentor, wont_cover: profile.wont_cover || "" });
    await app.openSetup("mentee");
    const input = $(`#mentee-skills input[value="${CSS.escape(skill)}"]`);
    if (input) input.checked = true;
  },
  home: () => {
    if (app.role === "mentor" && app.burst && app.burst.state !== "offline") app.showMentor();
    else show("landing");
  },
};

async function connect() {
  app.signaling?.close();
  app.signaling = new Signaling(login.token);
  wireServerEvents();
  await app.signaling.ready();
  await app.signaling.syncClock();
  app.signaling.on("connect", () => {
    app.signaling.syncClock().catch(() => {});
    catchUp(); // messages and notes sent while this socket was away
    resyncNotes();
  });
  app.me = await api.me().catch(() => null);
  renderAccount();
  checkFollowups();
  api.amAdmin().then((answer) => { $("#nav-admin").hidden = !answer.admin; }).catch(() => {});
}

function wireServerEvents() {
  const s = app.signaling;
  s.on("queue:update", (update) => {
    app.role = "mentee";
    app.lastQueueUpdate = update;
    if (currentView() !== "waiting") app.showWaiting(update);
    else updateWaiting(app, update);
  });
  s.on("mentor:update", (update) => {
    app.role = "mentor";
    const idleView = ["landing", "setup", null].includes(currentView()) && update.state !== "offline";
    if (idleView) app.showMentor(update);
    else updateMentor(app, update);
  });
  s.on("session:matched", (matched) => {
    app.role = matched.role;
    stopConnectionCheck(app);
    if (!matched.resumed) {
      alertPerson(matched.role === "mentor" ? `${matched.peer.name} needs your help` : `${matched.peer.name} is taking your question`,
        matched.question.slice(0, 140));
    }
    enterCall(app, matched);
  });
  s.on("queue:widen", (offer) => offerWidening(app, offer));
  s.on("notify", (message) => onNotify(app, message));
  s.on("chat:message", (message) => onChatMessage(message));
  s.on("notes:update", (message) => onNotesUpdate(message));
  s.on("session:extend_requested", (request) => onExtendRequested(request));
  s.on("signal", (message) => onSignal(app, message));
  s.on("session:moved", (moved) => callMoved(app, moved));
  s.on("session:started", (started) => callStarted(app, started));
  s.on("session:warning", (warning) => callWarning(app, warning));
  s.on("session:ended", (ended) => sessionEnded(ended));
  s.on("event:update", (state) => onEventUpdate(app, state));
  s.on("event:round", (round) => onEventRound(app, round));
  s.on("event:console", (view) => onConsole(app, view));
  s.on("error", (error) => {
    if (error.code === "token_revoked" || error.code === "token_expired") signedOut(error.message);
    else notice(error.message || "Something went wrong.", { error: true });
  });
  s.on("disconnect", (reason) => {
    if (reason !== "io client disconnect") notice("Connection lost. Reconnecting…", { ms: 4000 });
  });
}

function sessionEnded(ended) {
  const matched = app.matched;
  if (!matched || ended.session_id !== matched.session_id) return;
  const wasLive = app.started !== null;
  leaveCall(app);
  closeElsewhere(app);
  forgetHeldCall();
  app.matched = null;
  if (matched.event_id) {
    if (ended.reason === "left" && app.event && app.event.state === "round") {
      notice("Your partner left. If someone is free this round, you'll be paired again.");
      openLobby(app, app.event, { sittingOut: true });
    } else {
      openRating(app, ended, matched, { quick: true });
    }
    return;
  }
  if (ended.reason === "no_connection") {
    noConnection(ended, matched);
    return;
  }
  if (ended.reason === "declined") {
    if (matched.role === "mentee") {
      notice(`${matched.peer.name} couldn't take this question. You keep your place at the front of the line.`);
      app.showWaiting(null); // the queue:update that follows says who else can take it
    } else {
      notice("Declined. They're back at the front of the line.");
      app.showMentor();
    }
    return;
  }
  if (!wasLive) {
    notice("The call ended before it started.");
    if (matched.role === "mentor") app.showMentor();
    else app.openSetup("mentee");
    return;
  }
  openRating(app, ended, matched);
}

/** The call never connected: say who did not show, and what happens to each side (v2 rule). */
function noConnection(ended, matched) {
  const absent = ended.no_show || [];
  const me = login.user && login.user.id;
  const peer = matched.peer.name;
  if (matched.role === "mentee") {
    if (absent.includes(me)) {
      notice("Your call didn't start in time, so you left the line. Check your camera and connection, then ask again when you're ready.", { ms: 15000 });
      app.openSetup("mentee");
      return;
    }
    notice(absent.length
      ? `${peer} didn't answer in time. You're back at the front of the line.`
      : "The call couldn't connect. You're back at the front of the line.");
    app.showWaiting(null);
    return;
  }
  if (absent.includes(me)) {
    notice("You didn't answer in time, so you're offline now. Go online again when you're ready.", { ms: 15000 });
  } else {
    notice(absent.length
      ? `${peer} didn't show up. You're still online for the next question.`
      : "The call couldn't connect. You're still online for the next question.");
  }
  app.showMentor();
}

function renderAccount() {
  const user = login.token ? login.user : null;
  const config = app.authConfig;
  const guest = Boolean(user) && (!app.me || app.me.id !== user.id || app.me.kind === "guest");
  $("#whoami").textContent = user ? `Signed in as ${user.name}` : "";
  for (const id of ["#nav-history", "#nav-account", "#nav-signout"]) $(id).hidden = !user;
  $("#nav-keep").hidden = !user || !guest || !(config.passkeys || config.sso);
  $("#login-welcome").hidden = !user;
  if (user) $("#login-welcome").textContent = `Welcome back, ${user.name}. What would you like to do?`;
  $("#login-guest").hidden = Boolean(user) || !config.guests;
  $("#login-roles").hidden = !user && !config.guests;
  const passkeys = config.passkeys && passkeysSupported();
  $("#login-other").hidden = Boolean(user) || !(passkeys || config.sso);
  $("#login-other-caption").textContent = config.guests ? "Been here before?" : "Sign in to continue.";
  $("#login-other").classList.toggle("signin-only", !config.guests);
  $("#passkey-signin").hidden = !passkeys;
  $("#sso-signin").hidden = !config.sso;
  for (const label of document.querySelectorAll(".sso-label")) label.textContent = config.sso ? config.sso.label : "";
}

/** Forget the login on this browser and go back to the landing page. */
function signedOut(message, { error = true, ms = 8000 } = {}) {
  login.clear();
  $("#nav-admin").hidden = true;
  $("#apply-prompt").hidden = true;
  $("#login-name").value = "";
  app.me = null;
  coolDown(app);
  closeElsewhere(app);
  app.signaling?.close();
  app.signaling = null;
  scheduleRenewal(app);
  renderAccount();
  show("landing");
  if (message) notice(message, { error, ms });
}

/** A login answer from any sign-in: keep it, connect, catch up. */
async function signedIn(answer) {
  login.save(answer);
  app.me = null;
  await connect();
  scheduleRenewal(app);
  renderAccount();
}

let pendingLogin = null; // one guest login at a time, however often the form is sent

/** Sign in as a new guest. When many sign in from one address at once (a venue's Wi-Fi) the
 * server may ask us to wait: we wait it out and try again, saying so, rather than fail. */
function guestLogin(name) {
  if (pendingLogin) return pendingLogin;
  const status = $("#login-status");
  pendingLogin = retrying(() => api.login(name), () => {
    status.textContent = "Busy, retrying…";
    status.hidden = false;
  }).then(signedIn).finally(() => {
    status.hidden = true;
    status.textContent = "";
    pendingLogin = null;
  });
  return pendingLogin;
}

/** Keep the current account, or start a guest one with the typed name; false on failure. */
async function ensureSignedIn() {
  const error = $("#login-error");
  error.textContent = "";
  try {
    if (!login.token && !app.authConfig.guests) {
      $("#signin-error").textContent = `Sign in with ${app.authConfig.sso ? app.authConfig.sso.label : "your organisation"} first.`;
      return false;
    }
    if (!login.token) {
      const name = $("#login-name").value.trim();
      if (!name) { error.textContent = "Type the name people will see."; $("#login-name").focus(); return false; }
      await guestLogin(name);
    }
    if (!app.signaling) await connect();
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
  if (await ensureSignedIn()) await app.openSetup(role);
}

async function boot() {
  wireSetup(app);
  wireWaiting(app);
  wireWarm(app);
  wireMentor(app);
  wireRating(app);
  wireCall(app);
  wireOffer(app);
  wireChat(app);
  wireNotes();
  wireShare(app);
  wireExtend(app);
  wireEvents(app);
  wireHost(app);
  wireDirectory(app);
  wireProgram(app);
  wireFollowups(app);
  wireHours(app);
  const params = new URLSearchParams(location.search);
  const code = params.get("event");
  $("#host-event-link").addEventListener("click", async () => { if (await ensureSignedIn()) openCreate(); });
  $("#join-event-link").addEventListener("click", async () => { if (await ensureSignedIn()) openJoin(app, code || ""); });
  $("#login-form").addEventListener("submit", signIn);
  $("#nav-history").addEventListener("click", () => app.openHistory());
  $("#nav-directory").addEventListener("click", () => openDirectory(app));
  $("#nav-admin").addEventListener("click", () => openProgram(app));
  $("#nav-account").addEventListener("click", () => openAccount(app));
  $("#nav-keep").addEventListener("click", () => openAccount(app));
  let confirmGuestSignOut = 0;
  $("#nav-signout").addEventListener("click", () => {
    const guest = !app.me || app.me.kind === "guest";
    if (guest && Date.now() > confirmGuestSignOut) {
      confirmGuestSignOut = Date.now() + 10_000;
      notice("You're a guest: signing out loses this account for good. Keep it with a passkey first, or click Sign out again.", { ms: 10_000 });
      return;
    }
    // The server forgets this sign-in too, so a copied token stops working; signing out
    // locally goes ahead even when the server can't be reached.
    api.signOut().catch(() => {}).finally(() => signedOut(""));
  });
  $("#passkey-signin").addEventListener("click", async () => {
    $("#signin-error").textContent = "";
    try {
      await signedIn(await signInWithPasskey());
      notice(`Welcome back, ${login.user.name}.`);
      flushPendingRatings();
    } catch (failure) {
      $("#signin-error").textContent = failure.message;
    }
  });
  $("#sso-signin").addEventListener("click", () => startOrgSignIn(false).catch((failure) => {
    $("#signin-error").textContent = failure.message;
  }));
  $("#history-back").addEventListener("click", () => goBack(app));
  wireAccount(app);
  wireRenewal(app);
  try { app.skills = await api.skills(); } catch { /* shown later */ }
  try { app.authConfig = await api.authConfig(); } catch { /* the defaults: guests and passkeys */ }
  try { app.settings = await api.settings(); } catch { /* the default call length */ }
  show("landing");
  renderAccount();
  if (isOrgCallback()) {
    try {
      const answer = await finishOrgSignIn();
      await signedIn(answer);
      notice(answer.outcome === "linked"
        ? `Your ${app.authConfig.sso ? app.authConfig.sso.label : "organisation"} account is linked. Sign in with it on any device.`
        : `Signed in as ${answer.user.name}.`);
      if (answer.outcome === "linked") await openAccount(app);
      return;
    } catch (failure) {
      notice(failure.message, { error: true });
    }
  }
  if (code) notice(`You're invited to event ${code}. Type your name, then choose "Join an event".`, { ms: 15000 });
  if (login.token) {
    try {
      await connect(); // the server re-sends our queue place, burst or live call, if any
      flushPendingRatings();
      if (Date.now() >= login.renewAt) await renewNow(app);
      else scheduleRenewal(app);
      if (params.get("results")) await openHostedEvent(app, params.get("results")); // from "My sessions"
    } catch {
      signedOut("Your sign-in expired. Sign in again.");
    }
  }
}

boot();

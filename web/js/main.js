// The app: sign-in, one Socket.IO connection, and routing of server events to the views.
import { ApiError, api, login } from "./api.js";
import { callStarted, callWarning, enterCall, leaveCall, onSignal, wireCall } from "./call.js";
import { chime } from "./countdown.js";
import { $, currentView, notice, show } from "./dom.js";
import { onEventRound, onEventUpdate, openCreate, openJoin, openLobby, openResults, wireEvents } from "./events.js";
import { openHistory } from "./history.js";
import { LocalMedia } from "./media.js";
import { showMentor, updateMentor, wireMentor } from "./mentor.js";
import { flushPendingRatings, openRating, wireRating } from "./rating.js";
import { openSetup, wireSetup } from "./setup.js";
import { Signaling } from "./signaling.js";
import { showWaiting, updateWaiting, wireWaiting } from "./waiting.js";

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
  sittingOut: false,
  backToEvent: () => (app.event.state === "ended" ? openResults(app) : openLobby(app, app.event)),
};

async function connect() {
  app.signaling?.close();
  app.signaling = new Signaling(login.token);
  wireServerEvents();
  await app.signaling.ready();
  await app.signaling.syncClock();
  app.signaling.on("connect", () => app.signaling.syncClock().catch(() => {}));
  renderAccount();
}

function wireServerEvents() {
  const s = app.signaling;
  s.on("queue:update", (update) => {
    app.role = "mentee";
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
    if (!matched.resumed) chime();
    enterCall(app, matched);
  });
  s.on("signal", (message) => onSignal(app, message));
  s.on("session:started", (started) => callStarted(app, started));
  s.on("session:warning", (warning) => callWarning(app, warning));
  s.on("session:ended", (ended) => sessionEnded(ended));
  s.on("event:update", (state) => onEventUpdate(app, state));
  s.on("event:round", (round) => onEventRound(app, round));
  s.on("error", (error) => notice(error.message || "Something went wrong.", { error: true }));
  s.on("disconnect", () => notice("Connection lost. Reconnecting…", { ms: 4000 }));
}

function sessionEnded(ended) {
  const matched = app.matched;
  if (!matched || ended.session_id !== matched.session_id) return;
  const wasLive = app.started !== null;
  leaveCall(app);
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
  if (ended.reason === "declined" || ended.reason === "no_connection") {
    if (matched.role === "mentee") {
      notice(ended.reason === "declined"
        ? "That mentor couldn't take this question. You're back at the front of the line."
        : "The call couldn't connect. You're back at the front of the line.");
      app.showWaiting(null);
    } else {
      notice(ended.reason === "declined" ? "Declined. They're back at the front of the line." : "The call couldn't connect.");
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

function renderAccount() {
  const user = login.user;
  $("#whoami").textContent = user ? `Signed in as ${user.name}` : "";
  $("#nav-history").hidden = !user;
  $("#nav-signout").hidden = !user;
  if (user) $("#login-name").value = user.name;
}

/** Log in with the typed name (or keep the saved login) and connect; false on failure. */
async function ensureSignedIn() {
  const name = $("#login-name").value.trim();
  const error = $("#login-error");
  if (!name) { error.textContent = "Type the name people will see."; $("#login-name").focus(); return false; }
  error.textContent = "";
  try {
    if (!login.token || !login.user || login.user.name !== name) {
      const answer = await api.login(name);
      login.save(answer.token, answer.user);
      if (app.signaling) await connect();
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
  wireMentor(app);
  wireRating(app);
  wireCall(app);
  wireEvents(app);
  const code = new URLSearchParams(location.search).get("event");
  $("#host-event-link").addEventListener("click", async () => { if (await ensureSignedIn()) openCreate(); });
  $("#join-event-link").addEventListener("click", async () => { if (await ensureSignedIn()) openJoin(code || ""); });
  $("#login-form").addEventListener("submit", signIn);
  $("#nav-history").addEventListener("click", () => app.openHistory());
  $("#nav-signout").addEventListener("click", () => {
    login.clear();
    app.signaling?.close();
    app.signaling = null;
    renderAccount();
    $("#login-name").value = "";
    show("landing");
  });
  $("#history-back").addEventListener("click", () => {
    if (app.role === "mentor" && app.burst && app.burst.state !== "offline") app.showMentor();
    else show("landing");
  });
  try { app.skills = await api.skills(); } catch { /* shown later */ }
  show("landing");
  renderAccount();
  if (code) notice(`You're invited to event ${code}. Type your name, then choose "Join an event".`, { ms: 15000 });
  if (login.token) {
    try {
      await connect(); // the server re-sends our queue place, burst or live call, if any
      flushPendingRatings();
    } catch {
      login.clear();
      renderAccount();
    }
  }
}

boot();

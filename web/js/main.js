// The app: wiring each view's controls, then each server event to the state transition it means
// and the view that shows it, then signing in with a saved login (or finishing an organisation
// sign-in) and catching up.
import { openAccount, wireAccount } from "./account.js";
import { alertPerson } from "./alerts.js";
import { api, login } from "./api.js";
import { enterCall, onCallMoved, onCallStarted, onCallWarning, onSignal, wireCall } from "./call.js";
import { onSessionEnded } from "./call-end.js";
import { onChatMessage, wireChat } from "./chat.js";
import { openDirectory, wireDirectory } from "./directory.js";
import { notice, parts, show, viewSection } from "./dom.js";
import { onEventRound, onEventUpdate, openCreate, openJoin, wireEvents } from "./events.js";
import { onExtendRequested, wireExtend } from "./extend.js";
import { onNotify, wireFollowups } from "./followups.js";
import { openHistory, openHostedEvent, wireHistory } from "./history.js";
import { onConsole, wireHost } from "./host.js";
import { wireHours } from "./hours.js";
import { showMentor, updateMentor, wireMentor } from "./mentor.js";
import { onNotesUpdate, wireNotes } from "./notes.js";
import { wireOffer } from "./offer.js";
import { openProgram, wireProgram } from "./program.js";
import { flushPendingRatings, wireRating } from "./rating.js";
import { renewNow, scheduleRenewal, wireRenewal } from "./renewal.js";
import * as server from "./server.js";
import { stopConnectionCheck, wireSetup } from "./setup.js";
import { wireShare } from "./share.js";
import { connect, ensureSignedIn, renderAccount, signOutHere, useLogin, wireSignIn } from "./signin.js";
import { finishOrgSignIn, isOrgCallback } from "./sso.js";
import {
  authConfigLoaded, burstUpdated, matched, queueUpdated, settingsLoaded, skillsLoaded, state,
} from "./state.js";
import { offerWidening, showWaiting, updateWaiting, wireWaiting } from "./waiting.js";
import { wireWarm } from "./warm.js";

const nav = parts(document.querySelector(".topbar"), {
  navHistory: "nav-history", navDirectory: "nav-directory", navAdmin: "nav-admin",
  navAccount: "nav-account", navKeep: "nav-keep",
});
const eventLinks = parts(viewSection("landing"), {
  hostEventLink: "host-event-link", joinEventLink: "join-event-link",
});

server.listen({
  "queue:update": (update) => {
    queueUpdated(update);
    if (state.view !== "waiting") showWaiting(update);
    else updateWaiting(update);
  },
  "mentor:update": (update) => {
    const idleView = ["landing", "setup", null].includes(state.view) && update.state !== "offline";
    burstUpdated(update);
    if (idleView) showMentor();
    else updateMentor();
  },
  "session:matched": (payload) => {
    matched(payload);
    stopConnectionCheck();
    if (!payload.resumed) {
      alertPerson(payload.role === "mentor" ? `${payload.peer.name} needs your help` : `${payload.peer.name} is taking your question`,
        payload.question.slice(0, 140));
    }
    enterCall(payload);
  },
  "queue:widen": (offer) => offerWidening(offer),
  "notify": (message) => onNotify(message),
  "chat:message": (message) => onChatMessage(message),
  "notes:update": (message) => onNotesUpdate(message),
  "session:extend_requested": (request) => onExtendRequested(request),
  "signal": (message) => onSignal(message),
  "session:moved": (moved) => onCallMoved(moved),
  "session:started": (started) => onCallStarted(started),
  "session:warning": (warning) => onCallWarning(warning),
  "session:ended": (ended) => onSessionEnded(ended),
  "event:update": (event) => onEventUpdate(event),
  "event:round": (round) => onEventRound(round),
  "event:console": (view) => onConsole(view),
  "error": (error) => {
    if (error.code === "token_revoked" || error.code === "token_expired") signOutHere(error.message);
    else notice(error.message || "Something went wrong.", { error: true });
  },
  "disconnect": (reason) => {
    if (reason !== "io client disconnect") notice("Connection lost. Reconnecting…", { ms: 4000 });
  },
});

async function boot() {
  wireSetup();
  wireWaiting();
  wireWarm();
  wireMentor();
  wireRating();
  wireCall();
  wireOffer();
  wireChat();
  wireNotes();
  wireShare();
  wireExtend();
  wireEvents();
  wireHost();
  wireDirectory();
  wireProgram();
  wireFollowups();
  wireHours();
  wireHistory();
  const params = new URLSearchParams(location.search);
  const code = params.get("event");
  eventLinks.hostEventLink.addEventListener("click", async () => { if (await ensureSignedIn()) openCreate(); });
  eventLinks.joinEventLink.addEventListener("click", async () => { if (await ensureSignedIn()) openJoin(code || ""); });
  wireSignIn();
  nav.navHistory.addEventListener("click", () => openHistory());
  nav.navDirectory.addEventListener("click", () => openDirectory());
  nav.navAdmin.addEventListener("click", () => openProgram());
  nav.navAccount.addEventListener("click", () => openAccount());
  nav.navKeep.addEventListener("click", () => openAccount());
  wireAccount();
  wireRenewal();
  try { skillsLoaded(await api.skills()); } catch { /* shown later */ }
  try { authConfigLoaded(await api.authConfig()); } catch { /* the defaults: guests and passkeys */ }
  try { settingsLoaded(await api.settings()); } catch { /* the default call length */ }
  show("landing");
  renderAccount();
  if (isOrgCallback()) {
    try {
      const answer = await finishOrgSignIn();
      await useLogin(answer);
      notice(answer.outcome === "linked"
        ? `Your ${state.authConfig.sso ? state.authConfig.sso.label : "organisation"} account is linked. Sign in with it on any device.`
        : `Signed in as ${answer.user.name}.`);
      if (answer.outcome === "linked") await openAccount();
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
      if (Date.now() >= login.renewAt) await renewNow();
      else scheduleRenewal();
      if (params.get("results")) await openHostedEvent(params.get("results")); // from "My sessions"
    } catch {
      signOutHere("Your sign-in expired. Sign in again.");
    }
  }
}

boot();

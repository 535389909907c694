// What this page knows: who is signed in, the skill catalogue, which view is on screen, and
// where the person is in the product (asking, in line, mentoring, in a call, rating, at an
// event, hosting one). Views read it through `state` (getters only: an assignment throws) and
// the derived facts below. It changes only through the named transitions, each called where its
// cause arrives: main.js for the server's events, a view for what the person did there.
//
// Every fact a screen or its address depends on is here (the view, the match's session, the
// event, the hosted event, the call being rated), so a router can derive "which view, which
// URL" from this module alone. It would add a subscribe here to hear of changes; nothing
// needs one yet.

const current = {
  view: null, // the view on screen (dom.js show): "landing", "setup", "waiting", "call", ...
  me: null, // the account as GET /api/me last described it, or null until fetched
  skills: [], // the skill catalogue with live counts (GET /api/skills)
  settings: { session_seconds: 900 }, // GET /api/settings
  authConfig: { guests: true, passkeys: true, sso: null }, // GET /api/auth/config
  role: null, // "mentee" or "mentor": what the person chose last, or what the server says they are
  waiting: null, // the mentee's question in line: {skill, question, ticket_id?, mentor?}
  lastQueueUpdate: null, // the newest queue:update (it can arrive before mentee:join's ack)
  burst: null, // the mentor's burst as the server last described it (mentor:update)
  matched: null, // the match of the call this page is in (session:matched, resumes merged in)
  started: null, // that call's session:started: when its countdown started and ends
  elsewhere: null, // the session id of our call while another tab of ours holds it
  rating: null, // the call being rated: {sessionId, matched, quick}
  event: null, // the speed-mentoring event joined as a participant, as last pushed
  sittingOut: false, // sitting out the event's running round
  hosting: null, // the event this person hosts, as last pushed
};

/** Read-only: `state.matched`, `state.role`, … */
export const state = Object.freeze(Object.defineProperties({}, Object.fromEntries(
  Object.keys(current).map((key) => [key, { get: () => current[key], enumerable: true }]),
)));

// -- derived facts ----------------------------------------------------------------------------

/** A mentor whose burst is running: "back" and "again" lead to the burst, not the form. */
export const mentorOnline = () => current.role === "mentor" && Boolean(current.burst) && current.burst.state !== "offline";

/** Matched: in a call, about to be (a mentor reading the question), or held by another tab. */
export const inCall = () => current.matched !== null;

/** A mentee with a question in line. */
export const inLine = () => current.role === "mentee" && current.waiting !== null;

/** The current call's countdown has started: it ended after it began, not before. */
export const callLive = () => current.started !== null;

/** The current call is `event`'s running round. */
export const callInRound = (event) => {
  const call = current.matched;
  return Boolean(call) && call.event_id === event.event_id && event.state === "round" && event.round === call.round;
};

// -- the screen ------------------------------------------------------------------------------

/** dom.js show(): `name` is the view on screen now. */
export function viewShown(name) { current.view = name; }

// -- sign-in and the catalogue ----------------------------------------------------------------

export function skillsLoaded(skills) { current.skills = skills; }
export function settingsLoaded(settings) { current.settings = settings; }
export function authConfigLoaded(config) { current.authConfig = config; }

/** A new login was saved: the previous account's profile no longer applies. */
export function signedIn() { current.me = null; }

/** GET /api/me answered (or failed: null), or the person changed their profile or passkeys. */
export function accountLoaded(me) { current.me = me; }

export function signedOut() {
  current.me = null;
  current.elsewhere = null;
}

// -- drop-in: asking, waiting, mentoring ------------------------------------------------------

/** The person opened the ask form ("mentee") or the burst form ("mentor"). */
export function roleChosen(role) { current.role = role; }

/** queue:update: this person is a mentee in line; the update names the question. */
export function queueUpdated(update) {
  current.role = "mentee";
  current.lastQueueUpdate = update;
  if (update.question) current.waiting = { ...(current.waiting || {}), skill: update.skill, question: update.question };
}

/** mentee:join's ack: the question is in line. */
export function joinedQueue(ticket) { current.waiting = ticket; }

/** The mentee accepted a nearby skill (queue:widen). */
export function skillWidened(skill) {
  if (current.waiting) current.waiting = { ...current.waiting, skill };
}

export function leftQueue() { current.waiting = null; }

/** mentor:update: this person is a mentor; the update carries what changed in the burst. */
export function burstUpdated(update) {
  current.role = "mentor";
  current.burst = { ...(current.burst || {}), ...update };
}

/** mentor:online's ack: the burst ends then. */
export function wentOnline(ack) {
  current.burst = { ...(current.burst || {}), burst_ends_at: ack.burst_ends_at };
}

// -- calls ------------------------------------------------------------------------------------

/** session:matched (new, or re-sent after a reload or reconnect): our role in this call. */
export function matched(payload) { current.role = payload.role; }

/** A call entered afresh in this tab: its countdown has not started yet. */
export function callEntered(payload) {
  current.matched = payload;
  current.started = null;
}

/** The same call again (the socket came back, or re-sent while another tab holds it). */
export function callResumed(payload) { current.matched = { ...current.matched, ...payload }; }

/** After a reload, this tab asks to hold the call again; its countdown is kept. */
export function callReclaimed(payload) { current.matched = payload; }

/** Another tab of ours holds this call; its countdown is kept if it is the same call's. */
export function callHeldElsewhere(payload) {
  const sameCall = current.started && current.started.session_id === payload.session_id;
  current.matched = payload;
  current.started = sameCall ? current.started : null;
  current.elsewhere = payload.session_id;
}

/** The call is held here again (moved here, or over). */
export function callHeldHere() { current.elsewhere = null; }

/** session:started for this call: the countdown, or its new end. */
export function callStarted(started) { current.started = started; }

/** session:ended for this call. */
export function callEnded() {
  current.matched = null;
  current.started = null;
  current.elsewhere = null;
}

export function ratingOpened(rating) { current.rating = rating; }

// -- speed-mentoring events -------------------------------------------------------------------

/** event:join's ack. */
export function joinedEvent(role, event) {
  current.role = role;
  current.event = event;
}

/** event:update for the event this person takes part in. The host may have changed the
 * running round's prompt: the match is changed in place (it is still the same match). */
export function eventUpdated(event) {
  if (callInRound(event)) current.matched.prompt = event.prompt || null;
  current.event = event;
  if (event.state !== "round") current.sittingOut = false;
}

/** event:round: the round started; some sit it out. */
export function roundStarted(round) {
  const event = current.event;
  current.event = { ...event, state: "round", round: round.round, ends_at: round.ends_at ?? event.ends_at };
  if (round.sitting_out) current.sittingOut = true;
}

/** The partner left mid-round: back to the lobby until someone free is paired with us. */
export function partnerLeft() { current.sittingOut = true; }

export function leftEvent() { current.event = null; }

/** This person hosts `event` (created it, opened its console, or the server pushed it). */
export function hostingEvent(event) { current.hosting = event; }

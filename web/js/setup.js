// Pre-join: pick a skill and write the question (mentee) or pick skills and a burst (mentor),
// beside a live camera/microphone preview with device pickers and a clear message on failure.
import { askForNotifications } from "./alerts.js";
import { api } from "./api.js";
import { burstFit } from "./call-length.js";
import { $, el, humanWait, show } from "./dom.js";
import { describeMediaError } from "./media.js";
import { updateMentor } from "./mentor.js";
import { connectionCheck } from "./precall.js";
import { askDirectly, direct, prepareForm, wireSuggest } from "./suggest.js";
import { coolDown, warmUp } from "./warm.js";

let refreshTimer = null;

export function wireSetup(app) {
  const question = $("#question");
  question.addEventListener("input", () => {
    $("#question-count").textContent = `${question.value.length} / 500`;
  });
  $("#mentee-form").addEventListener("submit", (event) => { event.preventDefault(); joinQueue(app); });
  wireSuggest(app);
  $("#mentor-form").addEventListener("submit", (event) => { event.preventDefault(); goOnline(app); });
  $("#prejoin-mic").addEventListener("click", () => app.media.setMicMuted(!app.media.micMuted));
  $("#prejoin-cam").addEventListener("click", () => app.media.setCameraOff(!app.media.cameraOff));
  $("#retry-media").addEventListener("click", () => startPreview(app));
  $("#camera-select").addEventListener("change", () => switchDevice(app));
  $("#mic-select").addEventListener("change", () => switchDevice(app));
  app.media.onChange(() => renderMediaState(app));
  for (const input of document.querySelectorAll("input[name=minutes]")) {
    input.addEventListener("change", () => renderBurstFit(app));
  }
}

function renderBurstFit(app) {
  const minutes = Number(document.querySelector("input[name=minutes]:checked")?.value || 30);
  $("#burst-fit").textContent = burstFit(app.settings.session_seconds, minutes);
}

export async function openSetup(app, role) {
  coolDown(app); // out of the line: no call is coming
  app.role = role;
  $("#setup-title").textContent = role === "mentee" ? "Ask for help" : "Mentor now";
  $("#mentee-form").hidden = role !== "mentee";
  $("#mentor-form").hidden = role !== "mentor";
  for (const id of ["#mentee-error", "#mentor-error"]) $(id).textContent = "";
  renderBurstFit(app);
  if (role === "mentee") prepareForm();
  show("setup");
  await refreshSkills(app);
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => {
    if ($("#view-setup").hidden) clearInterval(refreshTimer);
    else refreshSkills(app);
  }, 5000);
  if (!app.media.stream.getTracks().length) await startPreview(app);
  warmUp(app); // a mentee still on the form: ready before Join (warm.js)
}

async function refreshSkills(app) {
  try {
    app.skills = await api.skills();
  } catch {
    return;
  }
  renderMenteeSkills(app);
  renderMentorSkills(app);
}

function skillMeta(skill, withEta = false) {
  const mentors = skill.mentors_online === 0 ? "No mentor online"
    : skill.mentors_online === 1 ? "1 mentor online" : `${skill.mentors_online} mentors online`;
  const parts = [mentors, `${skill.waiting} waiting`];
  if (withEta && skill.eta_s !== null) parts.push(`wait ${humanWait(skill.eta_s)}`);
  return parts.join(" · ");
}

function renderMenteeSkills(app) {
  const box = $("#mentee-skills");
  const chosen = box.querySelector("input:checked")?.value;
  box.replaceChildren(...app.skills.map((skill) => {
    const input = el("input", { type: "radio", name: "skill", value: skill.slug, checked: skill.slug === chosen });
    return el("label", {}, [input, el("span", { class: "skill-name", text: skill.name }),
      el("span", { class: "skill-meta", text: skillMeta(skill, true) })]);
  }));
}

function renderMentorSkills(app) {
  const box = $("#mentor-skills");
  const chosen = new Set([...box.querySelectorAll("input:checked")].map((input) => input.value));
  box.replaceChildren(...app.skills.map((skill) => {
    const input = el("input", { type: "checkbox", name: "skills", value: skill.slug, checked: chosen.has(skill.slug) });
    return el("label", {}, [input, el("span", { class: "skill-name", text: skill.name }),
      el("span", { class: "skill-meta", text: skillMeta(skill) })]);
  }));
}

/** Joining, going online or being matched ends a connection check still running. */
export function stopConnectionCheck(app) {
  if (app.precallCheck) app.precallCheck.abort();
}

async function joinQueue(app) {
  const skill = $("#mentee-skills input:checked")?.value;
  const question = $("#question").value.trim();
  const error = $("#mentee-error");
  if (!skill) { error.textContent = "Pick the skill your question is about."; return; }
  if (!question) { error.textContent = "Write your question: one or two specific sentences."; $("#question").focus(); return; }
  error.textContent = "";
  askForNotifications();
  const button = $("#join-button");
  button.disabled = true;
  stopConnectionCheck(app);
  try {
    const payload = { skill, question };
    if (direct.mentor) payload.mentor_id = direct.mentor.id;
    warmUp(app); // normally ready since the form opened (warm.js); a no-op then
    const ack = await app.signaling.request("mentee:join", payload);
    app.waiting = { skill, question, ticket_id: ack.ticket_id, mentor: direct.mentor };
    askDirectly(null);
    // An update for this ticket can beat its ack; then it is the newer place.
    const heard = app.lastQueueUpdate && app.lastQueueUpdate.ticket_id === ack.ticket_id ? app.lastQueueUpdate : null;
    if (!ack.session_id && !app.matched) app.showWaiting(heard || { ...ack, skill, waiting: ack.position });
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
}

async function goOnline(app) {
  const skills = [...document.querySelectorAll("#mentor-skills input:checked")].map((input) => input.value);
  const minutes = Number(document.querySelector("input[name=minutes]:checked")?.value || 30);
  const maxText = $("#max-sessions").value.trim();
  const error = $("#mentor-error");
  if (!skills.length) { error.textContent = "Pick at least one skill you can help with."; return; }
  const payload = { skills, minutes };
  if (maxText) {
    const max = Number(maxText);
    if (!Number.isInteger(max) || max < 1 || max > 100) { error.textContent = "Max calls is a whole number from 1 to 100, or empty."; return; }
    payload.max_sessions = max;
  }
  error.textContent = "";
  askForNotifications();
  const button = $("#online-button");
  button.disabled = true;
  stopConnectionCheck(app);
  try {
    const ack = await app.signaling.request("mentor:online", payload);
    // A waiting mentee may already have been matched (session:matched can beat the ack).
    if (app.matched) updateMentor(app, { burst_ends_at: ack.burst_ends_at });
    else app.showMentor({ burst_ends_at: ack.burst_ends_at });
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
}

export async function startPreview(app) {
  const camera = $("#camera-select").value || undefined;
  const mic = $("#mic-select").value || undefined;
  await app.media.start({ videoDeviceId: camera, audioDeviceId: mic });
  $("#preview").srcObject = app.media.stream;
  coolDown(app); // a warm connection sends the tracks this replaced
  warmUp(app); // on the mentee's form only (warm.js)
  await fillDevicePickers(app);
  checkConnection(app);
}

async function checkConnection(app) {
  const status = $("#precall-status");
  const tracks = app.media.stream.getTracks();
  if (!tracks.length) return;
  app.connection = "checking";
  renderMediaState(app);
  stopConnectionCheck(app);
  const check = new AbortController();
  app.precallCheck = check;
  try {
    const { rttMs, echoed, loss } = await connectionCheck(app.media.stream, { signal: check.signal });
    const quality = loss > 0.05 ? "connection weak" : "connection ok";
    app.connection = rttMs === null ? quality : `${quality}: RTT ${rttMs} ms`;
    if (app.media.videoTrack && !echoed) app.connection = "connection ok, but no video came back";
  } catch (failure) {
    if (failure.name === "AbortError") {
      if (app.precallCheck !== check) return; // a newer check took over
      app.connection = "";
    } else {
      // All checks taken, or this network's share of them: the check is optional anyway.
      app.connection = failure.code === "precall_busy" || failure.code === "rate_limited"
        ? "connection check busy (your call will still work)"
        : "couldn't check the connection";
    }
  }
  renderMediaState(app);
  status.dataset.checked = "true";
}

async function switchDevice(app) {
  await startPreview(app);
  if (app.call) {
    for (const track of app.media.stream.getTracks()) await app.call.replaceTrack(track);
  }
}

async function fillDevicePickers(app) {
  const { cameras, mics } = await app.media.devices();
  const fill = (select, devices, current, noun) => {
    const options = devices.map((device, i) => el("option", {
      value: device.deviceId, text: device.label || `${noun} ${i + 1}`, selected: device.deviceId === current,
    }));
    select.replaceChildren(...(options.length ? options : [el("option", { value: "", text: `No ${noun.toLowerCase()} found` })]));
    select.disabled = !options.length;
  };
  fill($("#camera-select"), cameras, app.media.videoTrack?.getSettings().deviceId, "Camera");
  fill($("#mic-select"), mics, app.media.audioTrack?.getSettings().deviceId, "Microphone");
}

function renderMediaState(app) {
  const { media } = app;
  const message = $("#media-message");
  message.hidden = !media.error;
  message.textContent = media.error ? describeMediaError(media.error) : "";
  $("#retry-media").hidden = !media.error;
  for (const [id, pressed, on, off] of [
    ["#prejoin-mic", media.micMuted, "Unmute microphone", "Mute microphone"],
    ["#prejoin-cam", media.cameraOff, "Turn camera on", "Turn camera off"],
    ["#call-mic", media.micMuted, "Unmute", "Mute"],
    ["#call-cam", media.cameraOff, "Camera on", "Camera off"],
  ]) {
    const button = $(id);
    button.setAttribute("aria-pressed", String(pressed));
    button.textContent = pressed ? on : off;
  }
  $("#preview-off").hidden = !(media.cameraOff || !media.videoTrack);
  const parts = [];
  parts.push(media.videoTrack ? "Camera ok" : "No camera");
  parts.push(media.audioTrack ? "microphone ok" : "no microphone");
  if (app.connection === "checking") parts.push("checking the connection…");
  else if (app.connection) parts.push(app.connection);
  $("#precall-status").textContent = parts.join(" · ");
}

// Pre-join: pick a skill and write the question (mentee) or pick skills and a burst (mentor),
// beside a live camera/microphone preview with device pickers and a clear message on failure.
import { askForNotifications } from "./alerts.js";
import { api } from "./api.js";
import { replaceTracks } from "./call.js";
import { burstFit } from "./call-length.js";
import { el, humanWait, parts, show, viewSection } from "./dom.js";
import { describeMediaError, media } from "./media.js";
import { showMentor, updateMentor } from "./mentor.js";
import { autoTake } from "./offer.js";
import { connectionCheck } from "./precall.js";
import * as server from "./server.js";
import { inCall, joinedQueue, roleChosen, skillsLoaded, state, wentOnline } from "./state.js";
import { askDirectly, direct, prepareForm, wireSuggest } from "./suggest.js";
import { showWaiting } from "./waiting.js";
import { coolDown, warmUp } from "./warm.js";

const section = viewSection("setup");
const ui = parts(section, {
  setupTitle: "setup-title", question: "question", questionCount: "question-count",
  menteeForm: "mentee-form", menteeSkills: "mentee-skills", menteeError: "mentee-error",
  joinButton: "join-button", mentorForm: "mentor-form", mentorSkills: "mentor-skills",
  burstFit: "burst-fit", maxSessions: "max-sessions", autoTake: "auto-take", mentorError: "mentor-error",
  onlineButton: "online-button", preview: "preview", previewOff: "preview-off",
  mediaMessage: "media-message", cameraSelect: "camera-select", micSelect: "mic-select",
  prejoinMic: "prejoin-mic", prejoinCam: "prejoin-cam", retryMedia: "retry-media",
  precallStatus: "precall-status",
});
const minuteChoices = [...section.querySelectorAll("input[name=minutes]")];

let refreshTimer = null;
let precallCheck = null; // the running connection check's AbortController
let checked = ""; // what the connection check found: "", "checking", or its words

export function wireSetup() {
  const question = ui.question;
  question.addEventListener("input", () => {
    ui.questionCount.textContent = `${question.value.length} / 500`;
  });
  ui.menteeForm.addEventListener("submit", (event) => { event.preventDefault(); joinQueue(); });
  wireSuggest();
  ui.mentorForm.addEventListener("submit", (event) => { event.preventDefault(); goOnline(); });
  ui.prejoinMic.addEventListener("click", () => media.setMicMuted(!media.micMuted));
  ui.prejoinCam.addEventListener("click", () => media.setCameraOff(!media.cameraOff));
  ui.retryMedia.addEventListener("click", () => startPreview());
  ui.cameraSelect.addEventListener("change", () => switchDevice());
  ui.micSelect.addEventListener("change", () => switchDevice());
  media.onChange(() => renderMediaState());
  for (const input of minuteChoices) {
    input.addEventListener("change", () => renderBurstFit());
  }
  ui.autoTake.checked = autoTake.get();
  ui.autoTake.addEventListener("change", () => autoTake.set(ui.autoTake.checked));
}

const chosenMinutes = () => Number(minuteChoices.find((input) => input.checked)?.value || 30);

function renderBurstFit() {
  ui.burstFit.textContent = burstFit(state.settings.session_seconds, chosenMinutes());
}

export async function openSetup(role) {
  coolDown(); // out of the line: no call is coming
  roleChosen(role);
  ui.setupTitle.textContent = role === "mentee" ? "Ask for help" : "Mentor now";
  ui.menteeForm.hidden = role !== "mentee";
  ui.mentorForm.hidden = role !== "mentor";
  for (const error of [ui.menteeError, ui.mentorError]) error.textContent = "";
  renderBurstFit();
  if (role === "mentee") prepareForm();
  show("setup");
  await refreshSkills();
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => {
    if (section.hidden) clearInterval(refreshTimer);
    else refreshSkills();
  }, 5000);
  if (!media.stream.getTracks().length) await startPreview();
  warmUp(); // a mentee still on the form: ready before Join (warm.js)
}

/** Tick `slug` on the ask form (after "Ask again", or "Ask <name>" in the directory); with
 * `unlessChosen`, only when no skill is ticked yet. */
export function chooseSkill(slug, { unlessChosen = false } = {}) {
  if (unlessChosen && ui.menteeSkills.querySelector("input:checked")) return;
  const input = ui.menteeSkills.querySelector(`input[value="${CSS.escape(slug)}"]`);
  if (input) input.checked = true;
}

async function refreshSkills() {
  try {
    skillsLoaded(await api.skills());
  } catch {
    return;
  }
  renderMenteeSkills();
  renderMentorSkills();
}

function skillMeta(skill, withEta = false) {
  const mentors = skill.mentors_online === 0 ? "No mentor online"
    : skill.mentors_online === 1 ? "1 mentor online" : `${skill.mentors_online} mentors online`;
  const meta = [mentors, `${skill.waiting} waiting`];
  if (withEta && skill.eta_s !== null) meta.push(`wait ${humanWait(skill.eta_s)}`);
  return meta.join(" · ");
}

function renderMenteeSkills() {
  const box = ui.menteeSkills;
  const chosen = box.querySelector("input:checked")?.value;
  box.replaceChildren(...state.skills.map((skill) => {
    const input = el("input", { type: "radio", name: "skill", value: skill.slug, checked: skill.slug === chosen });
    return el("label", {}, [input, el("span", { class: "skill-name", text: skill.name }),
      el("span", { class: "skill-meta", text: skillMeta(skill, true) })]);
  }));
}

function renderMentorSkills() {
  const box = ui.mentorSkills;
  const chosen = new Set([...box.querySelectorAll("input:checked")].map((input) => input.value));
  box.replaceChildren(...state.skills.map((skill) => {
    const input = el("input", { type: "checkbox", name: "skills", value: skill.slug, checked: chosen.has(skill.slug) });
    return el("label", {}, [input, el("span", { class: "skill-name", text: skill.name }),
      el("span", { class: "skill-meta", text: skillMeta(skill) })]);
  }));
}

/** Joining, going online or being matched ends a connection check still running. */
export function stopConnectionCheck() {
  if (precallCheck) precallCheck.abort();
}

async function joinQueue() {
  const skill = ui.menteeSkills.querySelector("input:checked")?.value;
  const question = ui.question.value.trim();
  const error = ui.menteeError;
  if (!skill) { error.textContent = "Pick the skill your question is about."; return; }
  if (!question) { error.textContent = "Write your question: one or two specific sentences."; ui.question.focus(); return; }
  error.textContent = "";
  askForNotifications();
  const button = ui.joinButton;
  button.disabled = true;
  stopConnectionCheck();
  try {
    const payload = { skill, question };
    if (direct.mentor) payload.mentor_id = direct.mentor.id;
    warmUp(); // normally ready since the form opened (warm.js); a no-op then
    const ack = await server.request("mentee:join", payload);
    joinedQueue({ skill, question, ticket_id: ack.ticket_id, mentor: direct.mentor });
    askDirectly(null);
    // An update for this ticket can beat its ack; then it is the newer place.
    const last = state.lastQueueUpdate;
    const heard = last && last.ticket_id === ack.ticket_id ? last : null;
    if (!ack.session_id && !inCall()) showWaiting(heard || { ...ack, skill, waiting: ack.position });
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
}

async function goOnline() {
  const skills = [...ui.mentorSkills.querySelectorAll("input:checked")].map((input) => input.value);
  const minutes = chosenMinutes();
  const maxText = ui.maxSessions.value.trim();
  const error = ui.mentorError;
  if (!skills.length) { error.textContent = "Pick at least one skill you can help with."; return; }
  const payload = { skills, minutes };
  if (maxText) {
    const max = Number(maxText);
    if (!Number.isInteger(max) || max < 1 || max > 100) { error.textContent = "Max calls is a whole number from 1 to 100, or empty."; return; }
    payload.max_sessions = max;
  }
  error.textContent = "";
  askForNotifications();
  const button = ui.onlineButton;
  button.disabled = true;
  stopConnectionCheck();
  try {
    const ack = await server.request("mentor:online", payload);
    wentOnline(ack);
    // A waiting mentee may already have been matched (session:matched can beat the ack).
    if (inCall()) updateMentor();
    else showMentor();
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
}

async function startPreview() {
  const camera = ui.cameraSelect.value || undefined;
  const mic = ui.micSelect.value || undefined;
  await media.start({ videoDeviceId: camera, audioDeviceId: mic });
  ui.preview.srcObject = media.stream;
  coolDown(); // a warm connection sends the tracks this replaced
  warmUp(); // on the mentee's form only (warm.js)
  await fillDevicePickers();
  checkConnection();
}

async function checkConnection() {
  const status = ui.precallStatus;
  const tracks = media.stream.getTracks();
  if (!tracks.length) return;
  checked = "checking";
  renderMediaState();
  stopConnectionCheck();
  const check = new AbortController();
  precallCheck = check;
  try {
    const { rttMs, echoed, loss } = await connectionCheck(media.stream, { signal: check.signal });
    const quality = loss > 0.05 ? "connection weak" : "connection ok";
    checked = rttMs === null ? quality : `${quality}: RTT ${rttMs} ms`;
    if (media.videoTrack && !echoed) checked = "connection ok, but no video came back";
  } catch (failure) {
    if (failure.name === "AbortError") {
      if (precallCheck !== check) return; // a newer check took over
      checked = "";
    } else {
      // All checks taken, or this network's share of them: the check is optional anyway.
      checked = failure.code === "precall_busy" || failure.code === "rate_limited"
        ? "connection check busy (your call will still work)"
        : "couldn't check the connection";
    }
  }
  renderMediaState();
  status.dataset.checked = "true";
}

async function switchDevice() {
  await startPreview();
  await replaceTracks();
}

async function fillDevicePickers() {
  const { cameras, mics } = await media.devices();
  const fill = (select, devices, current, noun) => {
    const options = devices.map((device, i) => el("option", {
      value: device.deviceId, text: device.label || `${noun} ${i + 1}`, selected: device.deviceId === current,
    }));
    select.replaceChildren(...(options.length ? options : [el("option", { value: "", text: `No ${noun.toLowerCase()} found` })]));
    select.disabled = !options.length;
  };
  fill(ui.cameraSelect, cameras, media.videoTrack?.getSettings().deviceId, "Camera");
  fill(ui.micSelect, mics, media.audioTrack?.getSettings().deviceId, "Microphone");
}

function renderMediaState() {
  const message = ui.mediaMessage;
  message.hidden = !media.error;
  message.textContent = media.error ? describeMediaError(media.error) : "";
  ui.retryMedia.hidden = !media.error;
  for (const [button, pressed, on, off] of [
    [ui.prejoinMic, media.micMuted, "Unmute microphone", "Mute microphone"],
    [ui.prejoinCam, media.cameraOff, "Turn camera on", "Turn camera off"],
  ]) {
    button.setAttribute("aria-pressed", String(pressed));
    button.textContent = pressed ? on : off;
  }
  ui.previewOff.hidden = !(media.cameraOff || !media.videoTrack);
  const found = [];
  found.push(media.videoTrack ? "Camera ok" : "No camera");
  found.push(media.audioTrack ? "microphone ok" : "no microphone");
  if (checked === "checking") found.push("checking the connection…");
  else if (checked) found.push(checked);
  ui.precallStatus.textContent = found.join(" · ");
}

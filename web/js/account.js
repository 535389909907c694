// The account page: how you sign in (passkeys, organisation identity), your profile, signing out
// everywhere, and deleting the account.
import { api, login } from "./api.js";
import { $, el, show } from "./dom.js";
import { renderHours } from "./hours.js";
import { goBack, rememberOrigin } from "./nav.js";
import { addPasskey, passkeysSupported } from "./passkeys.js";
import { startOrgSignIn } from "./sso.js";

const KINDS = {
  guest: "Guest account",
  passkey: "Kept with a passkey",
  sso: "Organisation account",
};

function when(ms) {
  return ms ? new Date(ms).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) : "never";
}

function statusText(me, config) {
  if (me.kind === "guest") {
    return "This account lives only in this browser. Keep it with a passkey"
      + (config.sso ? ` or your ${config.sso.label} account` : "")
      + " to sign in on any device and keep your history and ratings.";
  }
  return "You can sign in on any device with the ways below. Your history and ratings stay with this account.";
}

function renderSignIn(app, me) {
  const config = app.authConfig;
  const badge = el("span", { class: `account-kind ${me.kind}`, text: KINDS[me.kind] || me.kind });
  $("#account-status").replaceChildren(badge, document.createTextNode(statusText(me, config)));
  $("#account-passkeys").replaceChildren(...me.passkeys.map((key) => el("li", {}, [
    el("span", {}, [
      el("strong", { text: key.label }),
      el("span", { class: "meta", text: `Added ${when(key.created_at)} · last used ${when(key.last_used_at)}${key.synced ? " · synced" : ""}` }),
    ]),
    el("button", { type: "button", class: "link", text: "Remove", "aria-label": `Remove passkey ${key.label}`, onclick: () => removeKey(app, key) }),
  ])));
  const canPasskey = config.passkeys && passkeysSupported();
  $("#passkey-add").hidden = !canPasskey;
  $("#passkey-label").hidden = !canPasskey;
  $("#passkey-label-caption").hidden = !canPasskey;
  $("#passkey-add").textContent = me.kind === "guest" ? "Keep my account with a passkey" : "Add a passkey";
  $("#account-sso").hidden = !me.sso;
  if (me.sso) $("#account-sso").textContent = `Linked to ${me.sso.email || "your organisation account"} at ${me.sso.issuer}.`;
  $("#sso-link").hidden = !config.sso || Boolean(me.sso);
  $("#signout-guest-warning").hidden = me.kind !== "guest";
  $("#delete-kept").textContent = me.kept_after_delete;
}

function renderProfile(app, me) {
  $("#profile-name").value = me.name;
  $("#profile-headline").value = me.headline;
  $("#profile-expertise").value = me.expertise;
  $("#profile-wont").value = me.wont_cover || "";
  $("#profile-skills").replaceChildren(...app.skills.map((skill) => el("label", {}, [
    el("input", { type: "checkbox", name: "profile-skill", value: skill.slug, checked: me.skills.includes(skill.slug) }),
    el("span", { class: "skill-name", text: skill.name }),
  ])));
}

export async function openAccount(app) {
  rememberOrigin(app);
  show("account");
  for (const id of ["#account-signin-error", "#profile-error", "#delete-error"]) $(id).textContent = "";
  $("#delete-confirm").hidden = true;
  try {
    app.me = await api.me();
  } catch (failure) {
    if (failure.status === 401) app.signedOut(failure.message);
    else app.notice(failure.message, { error: true });
    return;
  }
  renderSignIn(app, app.me);
  renderProfile(app, app.me);
  renderHours(app);
}

async function removeKey(app, key) {
  $("#account-signin-error").textContent = "";
  try {
    const { passkeys } = await api.removePasskey(key.id);
    app.me = { ...app.me, passkeys };
    renderSignIn(app, app.me);
    app.notice(`Removed the passkey "${key.label}".`);
  } catch (failure) {
    $("#account-signin-error").textContent = failure.message;
  }
}

async function keepWithPasskey(app) {
  const error = $("#account-signin-error");
  error.textContent = "";
  $("#passkey-add").disabled = true;
  try {
    const { passkey } = await addPasskey($("#passkey-label").value.trim());
    $("#passkey-label").value = "";
    app.notice(`Passkey "${passkey.label}" added. Sign in with it on any later visit.`);
    await openAccount(app);
    app.renderAccount();
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    $("#passkey-add").disabled = false;
  }
}

async function saveProfile(app, event) {
  event.preventDefault();
  const error = $("#profile-error");
  error.textContent = "";
  const skills = [...document.querySelectorAll("input[name='profile-skill']:checked")].map((box) => box.value);
  try {
    const profile = await api.saveProfile({
      name: $("#profile-name").value,
      headline: $("#profile-headline").value,
      expertise: $("#profile-expertise").value,
      wont_cover: $("#profile-wont").value,
      skills,
    });
    app.me = { ...app.me, ...profile };
    login.rename(profile.name);
    app.renderAccount();
    app.notice("Profile saved.");
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function signOutEverywhere(app) {
  try {
    await api.signOutEverywhere();
    app.signedOut("You're signed out everywhere.", { error: false });
  } catch (failure) {
    app.notice(failure.message, { error: true });
  }
}

async function deleteAccount(app) {
  const error = $("#delete-error");
  error.textContent = "";
  try {
    const answer = await api.deleteAccount();
    app.signedOut(`Your account is deleted. ${answer.kept}`, { error: false, ms: 15000 });
  } catch (failure) {
    error.textContent = failure.message;
    $("#delete-confirm").hidden = true;
  }
}

export function wireAccount(app) {
  $("#passkey-add").addEventListener("click", () => keepWithPasskey(app));
  $("#sso-link").addEventListener("click", () => startOrgSignIn(true).catch((failure) => {
    $("#account-signin-error").textContent = failure.message;
  }));
  $("#profile-form").addEventListener("submit", (event) => saveProfile(app, event));
  $("#signout-all").addEventListener("click", () => signOutEverywhere(app));
  $("#delete-account").addEventListener("click", () => { $("#delete-confirm").hidden = false; $("#delete-confirm-yes").focus(); });
  $("#delete-confirm-no").addEventListener("click", () => { $("#delete-confirm").hidden = true; });
  $("#delete-confirm-yes").addEventListener("click", () => deleteAccount(app));
  $("#account-back").addEventListener("click", () => goBack(app));
}

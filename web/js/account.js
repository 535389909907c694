// The account page: how you sign in (passkeys, organisation identity), your profile, signing out
// everywhere, and deleting the account.
import { api, login } from "./api.js";
import { el, notice, parts, show, viewSection } from "./dom.js";
import { renderHours } from "./hours.js";
import { goBack, rememberOrigin } from "./nav.js";
import { addPasskey, passkeysSupported } from "./passkeys.js";
import { renderAccount, signOutHere } from "./signin.js";
import { startOrgSignIn } from "./sso.js";
import { accountLoaded, state } from "./state.js";

const section = viewSection("account");
const ui = parts(section, {
  accountStatus: "account-status", accountPasskeys: "account-passkeys", accountSso: "account-sso",
  passkeyLabelCaption: "passkey-label-caption", passkeyLabel: "passkey-label",
  accountSigninError: "account-signin-error", passkeyAdd: "passkey-add", ssoLink: "sso-link",
  profileForm: "profile-form", profileName: "profile-name", profileHeadline: "profile-headline",
  profileExpertise: "profile-expertise", profileWont: "profile-wont", profileSkills: "profile-skills",
  profileError: "profile-error", signoutGuestWarning: "signout-guest-warning", signoutAll: "signout-all",
  deleteKept: "delete-kept", deleteAccount: "delete-account", deleteConfirm: "delete-confirm",
  deleteConfirmYes: "delete-confirm-yes", deleteConfirmNo: "delete-confirm-no", deleteError: "delete-error",
  accountBack: "account-back",
});

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

function renderSignIn(me) {
  const config = state.authConfig;
  const badge = el("span", { class: `account-kind ${me.kind}`, text: KINDS[me.kind] || me.kind });
  ui.accountStatus.replaceChildren(badge, document.createTextNode(statusText(me, config)));
  ui.accountPasskeys.replaceChildren(...me.passkeys.map((key) => el("li", {}, [
    el("span", {}, [
      el("strong", { text: key.label }),
      el("span", { class: "meta", text: `Added ${when(key.created_at)} · last used ${when(key.last_used_at)}${key.synced ? " · synced" : ""}` }),
    ]),
    el("button", { type: "button", class: "link", text: "Remove", "aria-label": `Remove passkey ${key.label}`, onclick: () => removeKey(key) }),
  ])));
  const canPasskey = config.passkeys && passkeysSupported();
  ui.passkeyAdd.hidden = !canPasskey;
  ui.passkeyLabel.hidden = !canPasskey;
  ui.passkeyLabelCaption.hidden = !canPasskey;
  ui.passkeyAdd.textContent = me.kind === "guest" ? "Keep my account with a passkey" : "Add a passkey";
  ui.accountSso.hidden = !me.sso;
  if (me.sso) ui.accountSso.textContent = `Linked to ${me.sso.email || "your organisation account"} at ${me.sso.issuer}.`;
  ui.ssoLink.hidden = !config.sso || Boolean(me.sso);
  for (const label of section.querySelectorAll(".sso-label")) label.textContent = config.sso ? config.sso.label : "";
  ui.signoutGuestWarning.hidden = me.kind !== "guest";
  ui.deleteKept.textContent = me.kept_after_delete;
}

function renderProfile(me) {
  ui.profileName.value = me.name;
  ui.profileHeadline.value = me.headline;
  ui.profileExpertise.value = me.expertise;
  ui.profileWont.value = me.wont_cover || "";
  ui.profileSkills.replaceChildren(...state.skills.map((skill) => el("label", {}, [
    el("input", { type: "checkbox", name: "profile-skill", value: skill.slug, checked: me.skills.includes(skill.slug) }),
    el("span", { class: "skill-name", text: skill.name }),
  ])));
}

export async function openAccount() {
  rememberOrigin();
  show("account");
  for (const error of [ui.accountSigninError, ui.profileError, ui.deleteError]) error.textContent = "";
  ui.deleteConfirm.hidden = true;
  try {
    accountLoaded(await api.me());
  } catch (failure) {
    if (failure.status === 401) signOutHere(failure.message);
    else notice(failure.message, { error: true });
    return;
  }
  renderSignIn(state.me);
  renderProfile(state.me);
  renderHours();
}

async function removeKey(key) {
  ui.accountSigninError.textContent = "";
  try {
    const { passkeys } = await api.removePasskey(key.id);
    accountLoaded({ ...state.me, passkeys });
    renderSignIn(state.me);
    notice(`Removed the passkey "${key.label}".`);
  } catch (failure) {
    ui.accountSigninError.textContent = failure.message;
  }
}

async function keepWithPasskey() {
  const error = ui.accountSigninError;
  error.textContent = "";
  ui.passkeyAdd.disabled = true;
  try {
    const { passkey } = await addPasskey(ui.passkeyLabel.value.trim());
    ui.passkeyLabel.value = "";
    notice(`Passkey "${passkey.label}" added. Sign in with it on any later visit.`);
    await openAccount();
    renderAccount();
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    ui.passkeyAdd.disabled = false;
  }
}

async function saveProfile(event) {
  event.preventDefault();
  const error = ui.profileError;
  error.textContent = "";
  const skills = [...ui.profileSkills.querySelectorAll("input[name='profile-skill']:checked")].map((box) => box.value);
  try {
    const profile = await api.saveProfile({
      name: ui.profileName.value,
      headline: ui.profileHeadline.value,
      expertise: ui.profileExpertise.value,
      wont_cover: ui.profileWont.value,
      skills,
    });
    accountLoaded({ ...state.me, ...profile });
    login.rename(profile.name);
    renderAccount();
    notice("Profile saved.");
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function signOutEverywhere() {
  try {
    await api.signOutEverywhere();
    signOutHere("You're signed out everywhere.", { error: false });
  } catch (failure) {
    notice(failure.message, { error: true });
  }
}

async function deleteAccount() {
  const error = ui.deleteError;
  error.textContent = "";
  try {
    const answer = await api.deleteAccount();
    signOutHere(`Your account is deleted. ${answer.kept}`, { error: false, ms: 15000 });
  } catch (failure) {
    error.textContent = failure.message;
    ui.deleteConfirm.hidden = true;
  }
}

export function wireAccount() {
  ui.passkeyAdd.addEventListener("click", () => keepWithPasskey());
  ui.ssoLink.addEventListener("click", () => startOrgSignIn(true).catch((failure) => {
    ui.accountSigninError.textContent = failure.message;
  }));
  ui.profileForm.addEventListener("submit", (event) => saveProfile(event));
  ui.signoutAll.addEventListener("click", () => signOutEverywhere());
  ui.deleteAccount.addEventListener("click", () => { ui.deleteConfirm.hidden = false; ui.deleteConfirmYes.focus(); });
  ui.deleteConfirmNo.addEventListener("click", () => { ui.deleteConfirm.hidden = true; });
  ui.deleteConfirmYes.addEventListener("click", () => deleteAccount());
  ui.accountBack.addEventListener("click", () => goBack());
}

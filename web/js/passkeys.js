// Passkeys (WebAuthn): the browser side of registering one and signing in with one. The server
// sends options as JSON with base64url strings; the browser API wants bytes, and back.
import { ApiError, api } from "./api.js";

const toBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
};
const toText = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

export const passkeysSupported = () => typeof window.PublicKeyCredential === "function";

function creationOptions(options) {
  return {
    ...options,
    challenge: toBytes(options.challenge),
    user: { ...options.user, id: toBytes(options.user.id) },
    excludeCredentials: (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  };
}

function requestOptions(options) {
  return {
    ...options,
    challenge: toBytes(options.challenge),
    allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  };
}

function credentialJSON(credential) {
  const r = credential.response;
  const response = { clientDataJSON: toText(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toText(r.attestationObject);
    response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  } else {
    response.authenticatorData = toText(r.authenticatorData);
    response.signature = toText(r.signature);
    if (r.userHandle) response.userHandle = toText(r.userHandle);
  }
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
  };
}

/** The browser's refusals, as sentences a person can act on. */
function explain(failure) {
  if (failure instanceof ApiError) return failure;
  const name = failure && failure.name;
  if (name === "NotAllowedError") return new ApiError(0, "passkey_cancelled", "The passkey request was cancelled or timed out.");
  if (name === "InvalidStateError") return new ApiError(0, "passkey_exists", "This device already holds a passkey for your account.");
  if (name === "SecurityError") return new ApiError(0, "passkey_origin", "Passkeys don't work at this address. Use the address the server was set up for.");
  return new ApiError(0, "passkey_failed", (failure && failure.message) || "The passkey didn't work. Try again.");
}

/** Register a passkey on the signed-in account; resolves {passkey, kind}. */
export async function addPasskey(label) {
  try {
    const { ceremony_id: ceremonyId, options } = await api.passkeyRegisterOptions();
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    return await api.passkeyRegister({ ceremony_id: ceremonyId, credential: credentialJSON(credential), label });
  } catch (failure) {
    throw explain(failure);
  }
}

/** Sign in with any passkey this device offers; resolves the login answer. */
export async function signInWithPasskey() {
  try {
    const { ceremony_id: ceremonyId, options } = await api.passkeySigninOptions();
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    return await api.passkeySignin({ ceremony_id: ceremonyId, credential: credentialJSON(credential) });
  } catch (failure) {
    throw explain(failure);
  }
}

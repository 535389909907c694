// Organisation sign-in: leave for the provider's login page, come back to /oidc/callback, and
// trade the code for our own token. The binding the server handed out stays in this tab's
// sessionStorage, so a callback link opened in another browser cannot sign anyone in.
import { api } from "./api.js";

const FLOW_KEY = "mentorburst.oidc";

/** Go to the provider; with link=true the identity is added to the signed-in account. */
export async function startOrgSignIn(link = false) {
  const { authorize_url: url, binding } = await api.oidcStart(link);
  sessionStorage.setItem(FLOW_KEY, binding);
  location.assign(url);
}

export const isOrgCallback = () => location.pathname === "/oidc/callback";

/** On /oidc/callback: the login answer (with "outcome"), or throws with the reason. */
export async function finishOrgSignIn() {
  const params = new URLSearchParams(location.search);
  const binding = sessionStorage.getItem(FLOW_KEY) || "";
  sessionStorage.removeItem(FLOW_KEY);
  history.replaceState(null, "", "/"); // the code is single-use; keep it out of history
  if (params.get("error")) {
    const reason = params.get("error_description") || params.get("error");
    throw new Error(`Your organisation's sign-in stopped: ${reason}.`);
  }
  return api.oidcFinish({ state: params.get("state") || "", code: params.get("code") || "", binding: binding || "-" });
}

// A real OpenID Connect provider for the tests (panva/oidc-provider), on loopback.
//
// Configured by one JSON document in the environment variable OIDC_TEST_CONFIG:
//   {"port", "issuer", "jwks": {"keys": [private JWK]},
//    "clients": [{"client_id", "client_secret", "redirect_uris": [...]}],
//    "users": [{"login", "password", "sub", "name", "email", "email_verified"}]}
// It has its own login page (login + password, checked against "users"), grants the requested
// scopes without a consent screen, and prints "ready <issuer>" once it listens.
import Provider from "oidc-provider";

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const users = new Map(config.users.map((user) => [user.login, user]));
const bySub = new Map(config.users.map((user) => [user.sub, user]));

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    ...client,
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  })),
  jwks: config.jwks,
  pkce: { required: () => true },
  claims: { openid: ["sub"], profile: ["name"], email: ["email", "email_verified"] },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ["mentorburst-test-cookie-key"] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const user = bySub.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: user.name, email: user.email, email_verified: user.email_verified };
      },
    };
  },
  // No consent screen: the test client is first-party, as an organisation's own app would be.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid email profile");
    grant.addOIDCClaims(["name", "email", "email_verified"]);
    await grant.save();
    return grant;
  },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error = "") {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test Org sign-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:22rem;margin:3rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.4rem 0}input,button{padding:.5rem;font-size:1rem}
.error{color:#b00020}</style></head><body>
<h1>Test Org</h1><p>Sign in to continue to mentorburst.</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Username</label><input id="login" name="login" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form></body></html>`;
}

async function readForm(req) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === "GET") {
    ctx.type = "html";
    ctx.body = loginPage(details.uid);
    return undefined;
  }
  const form = await readForm(ctx.req);
  const user = users.get(form.get("login") || "");
  if (!user || user.password !== form.get("password")) {
    ctx.type = "html";
    ctx.status = 401;
    ctx.body = loginPage(details.uid, "Wrong username or password.");
    return undefined;
  }
  await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: user.sub } }, {
    mergeWithLastSubmission: false,
  });
  return undefined;
});

provider.listen(config.port, "127.0.0.1", () => {
  console.log(`ready ${config.issuer}`);
});

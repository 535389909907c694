"""Accounts that last: guests, passkeys (WebAuthn), organisation sign-in (OpenID Connect), the
profile, token epochs and renewal, and deleting an account. See docs/accounts.md."""

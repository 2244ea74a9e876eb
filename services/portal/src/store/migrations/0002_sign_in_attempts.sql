-- A sign-in through the identity provider in progress: what the callback needs to finish it
-- (the PKCE verifier and the nonce), found by the hash of its `state`, used once, for ten minutes.
CREATE TABLE portal_sign_in_attempts (
  state_hash    text PRIMARY KEY,
  code_verifier text NOT NULL,
  nonce         text NOT NULL,
  back          text NOT NULL,
  expires_at    timestamptz NOT NULL
);
CREATE INDEX portal_sign_in_attempts_expiry ON portal_sign_in_attempts (expires_at);

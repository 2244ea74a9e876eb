-- A signed-in person's session. The browser holds only a random id in an HttpOnly cookie; the
-- token the portal calls the services with stays here, so no script on a page can read it.
-- The id is stored hashed: a read of this table does not give anyone a session.
CREATE TABLE portal_sessions (
  id_hash      text PRIMARY KEY,
  token        text NOT NULL,
  actor        jsonb NOT NULL,
  display_name text NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);

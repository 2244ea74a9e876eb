// Sessions: all SQL of the portal. A session is found by the hash of the cookie's random id.
import { createHash, randomBytes } from "node:crypto";
import type { Actor } from "@kruzhok/actor";
import type { Pool } from "@kruzhok/postgres";

export interface Session {
  /** The bearer token the portal sends to the services for this person. */
  token: string;
  actor: Actor;
  displayName: string;
  expiresAt: Date;
}

const hashOf = (id: string) => createHash("sha256").update(id).digest("base64url");

/** A new session; returns the cookie's value (256 random bits), which is stored only hashed. */
export async function createSession(pool: Pool, session: Session, now: Date): Promise<string> {
  const id = randomBytes(32).toString("base64url");
  await pool.query(
    `INSERT INTO portal_sessions (id_hash, token, actor, display_name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [hashOf(id), session.token, JSON.stringify(session.actor), session.displayName, now, session.expiresAt],
  );
  return id;
}

/** The session of a cookie's value, if it exists and has not expired. */
export async function findSession(pool: Pool, id: string, now: Date): Promise<Session | undefined> {
  const { rows } = await pool.query<{ token: string; actor: Actor; display_name: string; expires_at: Date }>(
    `SELECT token, actor, display_name, expires_at FROM portal_sessions WHERE id_hash = $1 AND expires_at > $2`,
    [hashOf(id), now],
  );
  const row = rows[0];
  return row && { token: row.token, actor: row.actor, displayName: row.display_name, expiresAt: row.expires_at };
}

/** The name the pages greet the person by (a new family's, once it has registered). */
export async function renameSession(pool: Pool, id: string, displayName: string): Promise<void> {
  await pool.query(`UPDATE portal_sessions SET display_name = $2 WHERE id_hash = $1`, [hashOf(id), displayName]);
}

export async function deleteSession(pool: Pool, id: string): Promise<void> {
  await pool.query(`DELETE FROM portal_sessions WHERE id_hash = $1`, [hashOf(id)]);
}

/** Expired sessions, removed a batch at a time (the sweep job). */
export async function deleteExpiredSessions(pool: Pool, now: Date): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM portal_sessions WHERE id_hash IN (SELECT id_hash FROM portal_sessions WHERE expires_at <= $1 LIMIT 1000)`,
    [now],
  );
  return rowCount ?? 0;
}

/** A sign-in through the identity provider, begun: its secrets, kept until the callback. */
export interface SignInAttempt {
  codeVerifier: string;
  nonce: string;
  back: string;
}

export async function saveSignInAttempt(pool: Pool, state: string, attempt: SignInAttempt, expiresAt: Date): Promise<void> {
  await pool.query(`INSERT INTO portal_sign_in_attempts (state_hash, code_verifier, nonce, back, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
    hashOf(state),
    attempt.codeVerifier,
    attempt.nonce,
    attempt.back,
    expiresAt,
  ]);
}

/** The attempt of a `state`, taken (deleted) so that a callback is answered once; undefined when unknown or expired. */
export async function takeSignInAttempt(pool: Pool, state: string, now: Date): Promise<SignInAttempt | undefined> {
  const { rows } = await pool.query<{ code_verifier: string; nonce: string; back: string; expires_at: Date }>(
    `DELETE FROM portal_sign_in_attempts WHERE state_hash = $1 RETURNING code_verifier, nonce, back, expires_at`,
    [hashOf(state)],
  );
  const row = rows[0];
  return row && row.expires_at > now ? { codeVerifier: row.code_verifier, nonce: row.nonce, back: row.back } : undefined;
}

/** Attempts never finished, removed with the expired sessions. */
export async function deleteExpiredSignInAttempts(pool: Pool, now: Date): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM portal_sign_in_attempts WHERE state_hash IN (SELECT state_hash FROM portal_sign_in_attempts WHERE expires_at <= $1 LIMIT 1000)`,
    [now],
  );
  return rowCount ?? 0;
}

-- Help-center agents: who may sign in to the console, with which role.
-- The email is the sign-in name, normalised (models/email_address.py).
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    team TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT,  -- argon2id; NULL until the agent sets one
    created_at TEXT NOT NULL
);

-- One-time set-password links: only the token's digest is kept.
CREATE TABLE agent_password_tokens (
    token_hash TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Console sessions, by the digest of the cookie's value (never the value):
-- a stolen database gives no session.
CREATE TABLE agent_sessions (
    id_hash TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX agent_sessions_by_agent ON agent_sessions (agent_id) WHERE revoked_at IS NULL;

-- Who did or saw what in the console, and why (the Personal Data Protection
-- Law asks for it): append-only, the triggers refuse any change after the fact.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,  -- an agent's id, or 'cli:<login>' for an operator's command
    action TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_object ON audit_log (object_type, object_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

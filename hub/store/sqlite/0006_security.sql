-- A deep link binds once: the first chat that opens a receipt's QR owns it;
-- the token's digest (never the token) says which chat that was.
CREATE TABLE link_bindings (
    token_digest TEXT PRIMARY KEY,
    citizen_id TEXT NOT NULL,
    dossier_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    bound_at TEXT NOT NULL
);

-- Who created, revoked or rotated which API key, and when.
CREATE TABLE api_key_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    key_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    actor TEXT NOT NULL
);

-- One row that readiness rewrites to prove the store still takes writes.
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);

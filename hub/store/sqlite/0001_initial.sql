-- Times are UTC ISO-8601 strings so that they sort as text.
CREATE TABLE citizens (
    id TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    phone TEXT UNIQUE,
    email TEXT,
    id_number TEXT UNIQUE,
    telegram_chat_id INTEGER,
    preferred_channels TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX citizens_email ON citizens (email);

CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    citizen_id TEXT NOT NULL REFERENCES citizens (id),
    channel TEXT NOT NULL,
    granted INTEGER NOT NULL,
    at TEXT NOT NULL,
    via TEXT NOT NULL,
    legal_basis TEXT NOT NULL
);
CREATE INDEX consents_citizen ON consents (citizen_id, channel, at);

CREATE TABLE dossiers (
    code TEXT PRIMARY KEY,
    procedure TEXT NOT NULL,
    agency TEXT NOT NULL,
    applicant_id TEXT NOT NULL REFERENCES citizens (id),
    received_at TEXT NOT NULL,
    due_at TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX dossiers_applicant ON dossiers (applicant_id);

CREATE TABLE dossier_events (
    event_id TEXT PRIMARY KEY,
    code TEXT NOT NULL REFERENCES dossiers (code),
    previous_status TEXT NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    due_at TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX dossier_events_code ON dossier_events (code, at);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    dispatched INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox (id) WHERE dispatched = 0;

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES outbox (message_id),
    handler TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('done', 'retry', 'dead')),
    attempts INTEGER NOT NULL,
    next_at REAL,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (message_id, handler)
);
CREATE INDEX deliveries_retry ON deliveries (next_at) WHERE state = 'retry';
CREATE INDEX deliveries_dead ON deliveries (id) WHERE state = 'dead';

-- How the result is handed over (JSON), when the one-stop-shop says so.
ALTER TABLE dossier_events ADD COLUMN result TEXT;

-- One row per (source event, citizen, purpose): the unique key is what makes a
-- repeated bus delivery harmless.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    citizen_id TEXT NOT NULL REFERENCES citizens (id),
    purpose TEXT NOT NULL,
    source_event_id TEXT NOT NULL,
    template TEXT NOT NULL,
    context TEXT NOT NULL,
    status TEXT NOT NULL,
    dossier_code TEXT,
    broadcast_id TEXT,
    urgent INTEGER NOT NULL DEFAULT 0,
    channel TEXT,
    tried TEXT NOT NULL DEFAULT '[]',
    tries INTEGER NOT NULL DEFAULT 0,
    current_attempt TEXT,
    next_at REAL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (source_event_id, citizen_id, purpose)
);
CREATE INDEX notifications_due ON notifications (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX notifications_dossier ON notifications (dossier_code, created_at);
CREATE INDEX notifications_citizen ON notifications (citizen_id, created_at);
CREATE INDEX notifications_broadcast ON notifications (broadcast_id, status) WHERE broadcast_id IS NOT NULL;

CREATE TABLE notification_attempts (
    id TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    channel TEXT NOT NULL,
    provider TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_ref TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX attempts_notification ON notification_attempts (notification_id, created_at);
CREATE INDEX attempts_provider_ref ON notification_attempts (provider, provider_ref);

-- Followers of a dossier besides its applicant.
CREATE TABLE subscriptions (
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    citizen_id TEXT NOT NULL REFERENCES citizens (id),
    channel TEXT NOT NULL,
    via TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dossier_code, citizen_id)
);

-- What the recording providers "sent": the embedded default's window on the world.
CREATE TABLE recorded_messages (
    id INTEGER PRIMARY KEY,
    attempt_id TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    html TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE broadcasts (
    id TEXT PRIMARY KEY,
    template TEXT NOT NULL,
    context TEXT NOT NULL,
    source TEXT NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    -- loading (recipients still being added) | active | cancelled
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A follow asked for through the API waits here until the owner of the
-- address confirms it (a code by SMS or a call, a link by email); only then is
-- it a subscription with a consent. The code itself is never stored: it is
-- derived from the row's id with the service secret (notify/links.py).
CREATE TABLE follow_requests (
    id TEXT PRIMARY KEY,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    citizen_id TEXT NOT NULL REFERENCES citizens (id),
    channel TEXT NOT NULL,
    -- pending | confirmed
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    confirmed_at TEXT
);
CREATE INDEX follow_requests_dossier ON follow_requests (dossier_code, expires_at) WHERE state = 'pending';
CREATE INDEX follow_requests_citizen ON follow_requests (citizen_id, dossier_code, channel);

-- The ledger's current answer is the record written last, not the one that
-- claims the latest time: a client could otherwise date a grant in 2099 and
-- outlive every withdrawal. `at` stays the time the client gave, for display.
ALTER TABLE consents ADD COLUMN recorded_at TEXT;

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

-- A phone or an email is a contact point, not an identity: a mother and her son
-- may share one phone and still be two people. Only the national ID number
-- stays unique. SQLite drops a constraint by rebuilding the table (the runner
-- turns foreign keys off around migrations and checks them before commit).
CREATE TABLE citizens_rebuilt (
    id TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    id_number TEXT UNIQUE,
    telegram_chat_id INTEGER,
    preferred_channels TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO citizens_rebuilt (id, full_name, phone, email, id_number, telegram_chat_id, preferred_channels,
                              created_at, updated_at)
SELECT id, full_name, phone, email, id_number, telegram_chat_id, preferred_channels, created_at, updated_at
  FROM citizens;
DROP TABLE citizens;
ALTER TABLE citizens_rebuilt RENAME TO citizens;
CREATE INDEX citizens_phone ON citizens (phone);
CREATE INDEX citizens_email ON citizens (email);

-- The applicant as named on this dossier: the greeting of its notices, whoever
-- else shares the applicant's phone or email.
ALTER TABLE dossiers ADD COLUMN applicant_name TEXT;
UPDATE dossiers SET applicant_name = (SELECT full_name FROM citizens WHERE citizens.id = dossiers.applicant_id);

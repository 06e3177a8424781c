-- Issue 13: the touch-screen kiosks of the public-service centre. A kiosk's
-- key is shown once (its URL's fragment) and stored as a digest, like an API
-- key; lookups and rate limits count per kiosk, since a centre's kiosks share
-- one address.
CREATE TABLE kiosks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

-- "Rate the service" at the end of a visit: one row per rating, per kiosk.
CREATE TABLE kiosk_ratings (
    id INTEGER PRIMARY KEY,
    kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    at TEXT NOT NULL
);
CREATE INDEX kiosk_ratings_kiosk ON kiosk_ratings (kiosk_id, at);

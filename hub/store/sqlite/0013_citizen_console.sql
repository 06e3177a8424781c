-- Issue 12, the console's citizen side.

-- Answers agents insert with a /shortcut; the body may name variables
-- ({{ citizen.name }}, {{ dossier.code }}, ...) filled in per conversation.
-- team NULL: every team's agents see it.
CREATE TABLE canned_responses (
    id TEXT PRIMARY KEY,
    shortcut TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    team TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL
);

-- Two citizen records found to be one person. `moved` (JSON) lists every row
-- and column that moved from merged_id to kept_id, so that undo puts exactly
-- those back. The merged citizen's row stays: an undo needs it, and its
-- merge row says where it went. One live merge per merged citizen.
CREATE TABLE citizen_merges (
    id TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL REFERENCES citizens (id),
    merged_id TEXT NOT NULL REFERENCES citizens (id),
    agent_id TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    undone_at TEXT,
    undone_by TEXT,
    moved TEXT NOT NULL
);
CREATE UNIQUE INDEX citizen_merges_live ON citizen_merges (merged_id) WHERE undone_at IS NULL;
CREATE INDEX citizen_merges_by_kept ON citizen_merges (kept_id, at);

-- Conversations handed to a person. One open escalation per conversation: asking
-- again while waiting does not queue the citizen twice.
CREATE TABLE escalations (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    channel TEXT NOT NULL,
    citizen_id TEXT,
    reason TEXT NOT NULL,
    transcript TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX escalations_one_open ON escalations(conversation_id) WHERE state = 'open';
CREATE INDEX escalations_by_time ON escalations(created_at);

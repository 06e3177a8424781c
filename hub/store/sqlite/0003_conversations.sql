-- What citizens write, on any channel, and what is written back. One
-- conversation per thread: an email thread (by Message-ID references), or a
-- chat/SMS exchange that has not gone quiet for a day.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    citizen_id TEXT REFERENCES citizens(id),
    dossier_code TEXT,
    state TEXT NOT NULL DEFAULT 'bot',
    subject TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conversations_by_address ON conversations(channel, address, updated_at);
CREATE INDEX conversations_by_citizen ON conversations(citizen_id);
CREATE INDEX conversations_by_dossier ON conversations(dossier_code);
CREATE INDEX conversations_by_update ON conversations(updated_at);

CREATE TABLE conversation_messages (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    channel TEXT NOT NULL,
    provider_message_id TEXT,
    text TEXT NOT NULL,
    buttons TEXT,
    at TEXT NOT NULL
);
-- A webhook delivered twice is one message.
CREATE UNIQUE INDEX conversation_messages_once
    ON conversation_messages(channel, provider_message_id) WHERE direction = 'in';
CREATE INDEX conversation_messages_by_conversation ON conversation_messages(conversation_id, id);
CREATE INDEX conversation_messages_by_ref ON conversation_messages(provider_message_id);

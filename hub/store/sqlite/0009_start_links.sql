-- A receipt's Telegram link names a row here (issue 11 item 8): the signed
-- token that carried citizen and dossier inside it is over Telegram's 64
-- characters for a national-format code and our citizen ids. Keyed by the
-- token's digest, so the table holds nothing that could be replayed.
CREATE TABLE start_links (
    token_digest TEXT PRIMARY KEY,
    citizen_id TEXT NOT NULL,
    dossier_code TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The numbered options (buttons) the last reply of a conversation offered,
-- so that a bare "2" by SMS or email is read as the second (issue 11 item 11).
CREATE INDEX conversation_messages_out_by_conversation
    ON conversation_messages(conversation_id, id) WHERE direction = 'out';

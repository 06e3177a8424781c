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

-- Dossier codes are upper case (issue 11 item 12): the API now stores the
-- code a one-stop-shop sends in upper case, as citizens' lookups and the
-- receipt's national format (H12) read it. Codes stored before in another
-- case move to upper case everywhere they are named, unless another dossier
-- already holds that spelling (two dossiers then stay two, as they were).
CREATE TEMP TABLE recased AS
    SELECT code AS old, upper(code) AS new FROM dossiers AS d
    WHERE code != upper(code)
      AND (SELECT count(*) FROM dossiers AS e WHERE upper(e.code) = upper(d.code)) = 1;
UPDATE dossiers SET code = (SELECT new FROM recased WHERE old = code) WHERE code IN (SELECT old FROM recased);
UPDATE dossier_events SET code = (SELECT new FROM recased WHERE old = code) WHERE code IN (SELECT old FROM recased);
UPDATE notifications SET dossier_code = (SELECT new FROM recased WHERE old = dossier_code)
    WHERE dossier_code IN (SELECT old FROM recased);
UPDATE subscriptions SET dossier_code = (SELECT new FROM recased WHERE old = dossier_code)
    WHERE dossier_code IN (SELECT old FROM recased);
UPDATE conversations SET dossier_code = (SELECT new FROM recased WHERE old = dossier_code)
    WHERE dossier_code IN (SELECT old FROM recased);
UPDATE follow_requests SET dossier_code = (SELECT new FROM recased WHERE old = dossier_code)
    WHERE dossier_code IN (SELECT old FROM recased);
UPDATE link_bindings SET dossier_code = (SELECT new FROM recased WHERE old = dossier_code)
    WHERE dossier_code IN (SELECT old FROM recased);
DROP TABLE recased;

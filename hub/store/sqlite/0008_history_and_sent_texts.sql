-- Issue 11 item 4: a status change recorded without a notice (back-filled
-- history, or `notify: false`), so that a replayed request answers the same.
ALTER TABLE dossier_events ADD COLUMN notify INTEGER NOT NULL DEFAULT 1;

-- Issue 11 item 5: what each attempt really sent, on every provider. The
-- address is kept masked (the attempt's notification names the citizen); the
-- texts are blanked after TONGDAI_SENT_TEXT_RETENTION_DAYS, the row stays.
ALTER TABLE notification_attempts ADD COLUMN address TEXT;
ALTER TABLE notification_attempts ADD COLUMN subject TEXT;
ALTER TABLE notification_attempts ADD COLUMN text TEXT;
CREATE INDEX attempts_with_text ON notification_attempts (created_at) WHERE text IS NOT NULL;
CREATE INDEX recorded_created ON recorded_messages (created_at);

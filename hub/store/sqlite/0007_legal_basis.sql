-- What lets the sender use a channel for this notification (README "Consent
-- and legal basis"). Rows planned before it were planned under consent only.
ALTER TABLE notifications ADD COLUMN legal_basis TEXT NOT NULL DEFAULT 'consent';
-- Why it is not (yet) sent: a code of models.notifications.REASONS, or NULL.
ALTER TABLE notifications ADD COLUMN reason TEXT;
-- When the news it carries happened (UTC ISO), as the event said.
ALTER TABLE notifications ADD COLUMN event_at TEXT;
-- The newer notice that made this one stale.
ALTER TABLE notifications ADD COLUMN superseded_by TEXT;
CREATE INDEX notifications_not_sent ON notifications (updated_at) WHERE reason IS NOT NULL;

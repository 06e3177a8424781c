-- The help-center console (issue 12): conversations become a queue a person
-- works through, agents have a presence and a capacity, and every change a
-- console must see leaves a row in console_feed, in the same transaction,
-- numbered so that a console that lost its socket resyncs from its last seq.
ALTER TABLE conversations ADD queue_status TEXT;          -- NULL (with the assistant) | open | pending | snoozed | resolved
ALTER TABLE conversations ADD priority INTEGER NOT NULL DEFAULT 0;  -- 0 normal, 1 high, 2 urgent
ALTER TABLE conversations ADD assignee TEXT;              -- agents.id
ALTER TABLE conversations ADD team TEXT;
ALTER TABLE conversations ADD snooze_until TEXT;
ALTER TABLE conversations ADD escalation_reason TEXT;     -- request_human | complaint | not_understood
ALTER TABLE conversations ADD queued_at TEXT;             -- when it last became open
ALTER TABLE conversations ADD last_message_at TEXT;
-- Until now the last change of a conversation was its last message.
UPDATE conversations SET last_message_at = updated_at;
-- Conversations already waiting for a person are the queue's first content.
UPDATE conversations SET queue_status = 'open',
    queued_at = (SELECT min(e.created_at) FROM escalations e WHERE e.conversation_id = conversations.id AND e.state = 'open'),
    escalation_reason = (SELECT max(e.reason) FROM escalations e WHERE e.conversation_id = conversations.id AND e.state = 'open')
    WHERE id IN (SELECT conversation_id FROM escalations WHERE state = 'open');

ALTER TABLE conversation_messages ADD kind TEXT NOT NULL DEFAULT 'message';  -- message | note | activity
ALTER TABLE conversation_messages ADD author TEXT;         -- agents.id for agent messages and notes; NULL: citizen or assistant
ALTER TABLE conversation_messages ADD notification_id TEXT;-- an agent reply's notification (its delivery status)

ALTER TABLE agents ADD presence TEXT NOT NULL DEFAULT 'offline';   -- online | away | offline
ALTER TABLE agents ADD capacity INTEGER NOT NULL DEFAULT 10;       -- max open conversations auto-assigned
ALTER TABLE agents ADD last_assigned_at TEXT;

CREATE TABLE conversation_labels (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    label TEXT NOT NULL,
    PRIMARY KEY (conversation_id, label)
) WITHOUT ROWID;
CREATE INDEX conversation_labels_by_label ON conversation_labels (label, conversation_id);

CREATE TABLE mentions (
    message_id INTEGER NOT NULL REFERENCES conversation_messages (id),
    agent_id TEXT NOT NULL REFERENCES agents (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    at TEXT NOT NULL,
    seen_at TEXT,
    PRIMARY KEY (message_id, agent_id)
);
-- The visibility rule asks "is this agent mentioned in this conversation?".
CREATE INDEX mentions_by_conversation ON mentions (conversation_id, agent_id);
CREATE INDEX mentions_by_agent ON mentions (agent_id, seen_at);

CREATE TABLE console_feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    conversation_id TEXT,
    assignee TEXT,
    team TEXT,
    agent_id TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX console_feed_by_time ON console_feed (at);

-- The queue page: one view (mine / team / unassigned / all) in one status,
-- newest activity first, paged by (last_message_at, id).
CREATE INDEX conversations_queue_mine ON conversations (assignee, queue_status, last_message_at, id)
    WHERE queue_status IS NOT NULL;
CREATE INDEX conversations_queue_team ON conversations (team, queue_status, last_message_at, id)
    WHERE queue_status IS NOT NULL;
CREATE INDEX conversations_queue_all ON conversations (queue_status, last_message_at, id)
    WHERE queue_status IS NOT NULL;
CREATE INDEX conversations_queue_priority ON conversations (queue_status, priority)
    WHERE queue_status IS NOT NULL;
CREATE INDEX conversations_snoozed ON conversations (snooze_until) WHERE queue_status = 'snoozed';
CREATE INDEX conversation_messages_by_notification ON conversation_messages (notification_id)
    WHERE notification_id IS NOT NULL;

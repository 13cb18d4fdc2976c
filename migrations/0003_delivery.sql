-- Broadcasts and the transactional outbox: one row per recipient, written in the same
-- transaction as the broadcast, then sent and marked by the delivery worker.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    text_ja TEXT NOT NULL,
    text_en TEXT,
    district TEXT,
    channel TEXT NOT NULL DEFAULT 'all',
    -- 1: a send cut short by a crash is sent again (a duplicate is better than a gap);
    -- 0: it is given up (reminders: never twice is the promise).
    resend_in_flight INTEGER NOT NULL DEFAULT 1 CHECK (resend_in_flight IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    -- /forget deletes the resident and with them anything still to be sent.
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unreachable')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_at TEXT,
    line_batch_id INTEGER REFERENCES line_batches (id),
    last_error TEXT,
    sent_at TEXT,
    UNIQUE (broadcast_id, resident_id)
);

CREATE INDEX outbox_due ON outbox (channel, state, next_attempt_at);
CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, state);

-- A LINE multicast: its retry key is stored before the first try and reused on every retry,
-- so a retry after a timeout cannot send twice (LINE answers 409 for a key it accepted).
CREATE TABLE line_batches (
    id INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    retry_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- Notices for web chat residents, shown the next time they open the chat.
CREATE TABLE web_mailbox (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);

CREATE INDEX web_mailbox_unread ON web_mailbox (resident_id) WHERE read_at IS NULL;

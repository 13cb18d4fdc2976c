-- Residents: only what the bot needs to talk to someone. One row per platform identity.
CREATE TABLE residents (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('web', 'console', 'telegram', 'line')),
    platform_user_id TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'ja' CHECK (language IN ('ja', 'en')),
    district TEXT,
    -- When the resident agreed to chiiki storing a display name (volunteer rosters); NULL = no.
    consent_at TEXT,
    -- 0 once the platform says we cannot reach them (blocked, unfollowed).
    reachable INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (channel, platform_user_id)
);

CREATE INDEX residents_by_district ON residents (district);

-- Where a resident is in a multi-step conversation (a pending confirmation, a form).
CREATE TABLE conversation_state (
    resident_id INTEGER PRIMARY KEY REFERENCES residents (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    expires_at TEXT NOT NULL
);

-- Platform events (webhooks, polled updates). The id makes a redelivery harmless; the payload
-- is kept only until the event is handled, so message texts are not stored.
CREATE TABLE inbound_events (
    channel TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    payload TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    handled_at TEXT,
    PRIMARY KEY (channel, event_id)
) WITHOUT ROWID;

CREATE INDEX inbound_events_pending ON inbound_events (received_at) WHERE handled_at IS NULL;

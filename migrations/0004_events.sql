-- Council events (地域づくり協議会, 円卓会議) and their reminders. The reminders table is the
-- source of truth; the scheduler only holds timers that wake the code reading it.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    title_ja TEXT NOT NULL,
    title_en TEXT,
    description_ja TEXT NOT NULL DEFAULT '',
    description_en TEXT,
    place_ja TEXT NOT NULL,
    place_en TEXT,
    starts_at TEXT NOT NULL,
    district TEXT,
    cancelled_at TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX events_upcoming ON events (starts_at) WHERE cancelled_at IS NULL;

CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    due_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'skipped', 'cancelled')),
    -- The broadcast that carried it: handing over to the outbox and marking 'sent' is one
    -- transaction, so a reminder is queued exactly once.
    broadcast_id INTEGER REFERENCES broadcasts (id),
    settled_at TEXT,
    UNIQUE (event_id, due_at)
);

CREATE INDEX reminders_pending ON reminders (due_at) WHERE state = 'pending';

CREATE TABLE event_subscriptions (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (event_id, resident_id)
) WITHOUT ROWID;

-- Residents who want reminders for every event of their district (and for city-wide ones).
CREATE TABLE event_followers (
    resident_id INTEGER PRIMARY KEY REFERENCES residents (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);

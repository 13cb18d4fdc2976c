-- School-route watch (登下校見守り): routes, shifts with capacity, sign-ups with a waitlist,
-- and per-shift reminders (the audience is whoever is confirmed when the reminder fires).

-- The name a volunteer asked to show on rosters; stored only with consent (consent_at).
ALTER TABLE residents ADD COLUMN display_name TEXT;

CREATE TABLE watch_routes (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT,
    district TEXT,
    meeting_point_ja TEXT NOT NULL,
    meeting_point_en TEXT,
    note_ja TEXT,
    note_en TEXT
);

CREATE TABLE watch_shifts (
    id INTEGER PRIMARY KEY,
    route_id INTEGER NOT NULL REFERENCES watch_routes (id) ON DELETE CASCADE,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 100),
    cancelled_at TEXT,
    cancel_reason TEXT,
    UNIQUE (route_id, starts_at)
);

CREATE INDEX watch_shifts_by_time ON watch_shifts (starts_at);

CREATE TABLE watch_signups (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER NOT NULL REFERENCES watch_shifts (id) ON DELETE CASCADE,
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted')),
    created_at TEXT NOT NULL,
    UNIQUE (shift_id, resident_id)
);

CREATE INDEX watch_signups_by_resident ON watch_signups (resident_id);

CREATE TABLE shift_reminders (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER NOT NULL REFERENCES watch_shifts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('evening', 'hour')),
    due_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'skipped', 'cancelled')),
    broadcast_id INTEGER REFERENCES broadcasts (id),
    settled_at TEXT,
    UNIQUE (shift_id, kind)
);

CREATE INDEX shift_reminders_pending ON shift_reminders (due_at) WHERE state = 'pending';

-- chiiki: rebuilds tables
-- Counter sign-ups (窓口での代理入力, issue 25): staff sign a person up for a watch shift by name
-- at the 公民館 or on the phone. Such a roster-only volunteer has no chat account, so their
-- sign-up row has no resident and carries the name, how consent was given and which staff
-- account recorded it (created_at is when). Keeping them in watch_signups keeps one capacity
-- and waitlist logic for everyone. SQLite cannot drop NOT NULL in place: the table is rebuilt.
CREATE TABLE watch_signups_new (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER NOT NULL REFERENCES watch_shifts (id) ON DELETE CASCADE,
    resident_id INTEGER REFERENCES residents (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted')),
    created_at TEXT NOT NULL,
    -- NULL once the roster-name retention rule has removed it.
    counter_name TEXT CHECK (length(counter_name) BETWEEN 1 AND 40),
    counter_via TEXT CHECK (counter_via IN ('counter', 'phone')),
    counter_staff TEXT,
    UNIQUE (shift_id, resident_id),
    CHECK ((resident_id IS NULL) = (counter_via IS NOT NULL)),
    CHECK ((counter_via IS NULL) = (counter_staff IS NULL))
);

INSERT INTO watch_signups_new (id, shift_id, resident_id, status, created_at)
SELECT id, shift_id, resident_id, status, created_at FROM watch_signups;

DROP TABLE watch_signups;
ALTER TABLE watch_signups_new RENAME TO watch_signups;
CREATE INDEX watch_signups_by_resident ON watch_signups (resident_id);

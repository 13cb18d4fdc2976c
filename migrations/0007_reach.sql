-- chiiki: rebuilds tables
-- やさしい日本語 as a third language, one resident across channels, outcomes, retention.
-- SQLite cannot change a CHECK in place, so residents is rebuilt (foreign keys off meanwhile).
CREATE TABLE residents_new (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('web', 'console', 'telegram', 'line')),
    platform_user_id TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'ja' CHECK (language IN ('ja', 'en', 'easy')),
    district TEXT,
    consent_at TEXT,
    reachable INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    display_name TEXT,
    -- Another channel of the same person (/link): everything they do is kept on that row.
    linked_to INTEGER REFERENCES residents (id) ON DELETE CASCADE,
    -- Exactly one identity of a linked person gets notices: the channel they prefer.
    receives_notices INTEGER NOT NULL DEFAULT 1 CHECK (receives_notices IN (0, 1)),
    -- Help asked for or not understood since the language was last chosen (offers やさしい日本語).
    help_asks INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel, platform_user_id),
    CHECK (linked_to IS NULL OR linked_to <> id)
);

INSERT INTO residents_new (id, channel, platform_user_id, language, district, consent_at,
    reachable, created_at, updated_at, display_name)
SELECT id, channel, platform_user_id, language, district, consent_at, reachable, created_at,
    updated_at, display_name FROM residents;

DROP TABLE residents;
ALTER TABLE residents_new RENAME TO residents;
CREATE INDEX residents_by_district ON residents (district);
CREATE INDEX residents_linked ON residents (linked_to) WHERE linked_to IS NOT NULL;

ALTER TABLE broadcasts ADD COLUMN text_easy TEXT;

-- When a comment was written, so the retention rule can remove it on time.
ALTER TABLE ballots ADD COLUMN commented_at TEXT;
UPDATE ballots SET commented_at = updated_at WHERE comment IS NOT NULL;

-- /link codes: only a hash is kept; a code lives ten minutes and works once.
CREATE TABLE link_codes (
    code_hash TEXT PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

-- Wrong codes typed, per identity, so codes cannot be found by trying.
CREATE TABLE link_failures (
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    failed_at TEXT NOT NULL
);

CREATE INDEX link_failures_by_resident ON link_failures (resident_id, failed_at);

-- What came of a poll or a meeting, and who acts next (actor ids from the content pack).
CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY,
    poll_id INTEGER REFERENCES polls (id) ON DELETE CASCADE,
    event_id INTEGER REFERENCES events (id) ON DELETE CASCADE,
    decided_ja TEXT NOT NULL,
    decided_en TEXT,
    decided_easy TEXT,
    next_actors TEXT NOT NULL,
    broadcast_id INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    CHECK ((poll_id IS NULL) <> (event_id IS NULL))
);

CREATE INDEX outcomes_by_time ON outcomes (created_at);

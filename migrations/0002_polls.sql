-- Opinion polls. A ballot keeps the voter's district at voting time (for per-district counts)
-- and loses its link to the resident on /forget, so the count stays and the person goes.
CREATE TABLE polls (
    id INTEGER PRIMARY KEY,
    question_ja TEXT NOT NULL,
    question_en TEXT,
    multiple INTEGER NOT NULL DEFAULT 0 CHECK (multiple IN (0, 1)),
    allow_comment INTEGER NOT NULL DEFAULT 0 CHECK (allow_comment IN (0, 1)),
    announce INTEGER NOT NULL DEFAULT 0 CHECK (announce IN (0, 1)),
    district TEXT,
    closes_at TEXT NOT NULL,
    closed_at TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX polls_open ON polls (closes_at) WHERE closed_at IS NULL;

CREATE TABLE poll_choices (
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 10),
    label_ja TEXT NOT NULL,
    label_en TEXT,
    PRIMARY KEY (poll_id, position)
) WITHOUT ROWID;

CREATE TABLE ballots (
    id INTEGER PRIMARY KEY,
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    district TEXT,
    comment TEXT CHECK (comment IS NULL OR length(comment) <= 200),
    cast_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- One ballot per resident per poll, whatever the code does. NULLs (forgotten voters) differ.
    UNIQUE (poll_id, resident_id)
);

CREATE TABLE ballot_choices (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (ballot_id, position)
) WITHOUT ROWID;

-- 地域の声 (issue 24): what residents send to their district (an opinion or proposal, a
-- problem or dangerous place, a question), what staff did with it, and who supports it.
-- The person's row holds the voice (resident_id, as for ballots); /forget deletes the
-- unpublished ones and leaves a published one as text without anyone behind it (NULL).
CREATE TABLE voices (
    id INTEGER PRIMARY KEY,
    receipt TEXT UNIQUE,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opinion', 'problem', 'question')),
    body TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'ja',
    district TEXT,
    place_name TEXT,
    latitude REAL,
    longitude REAL,
    contact_ok INTEGER NOT NULL DEFAULT 0 CHECK (contact_ok IN (0, 1)),
    photo_public INTEGER NOT NULL DEFAULT 0 CHECK (photo_public IN (0, 1)),
    state TEXT NOT NULL DEFAULT 'received'
        CHECK (state IN ('received', 'reviewing', 'taken_up', 'answered', 'declined')),
    event_id INTEGER REFERENCES events (id) ON DELETE SET NULL,
    reason TEXT,
    answer_ja TEXT,
    answer_en TEXT,
    answer_easy TEXT,
    published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX voices_by_resident ON voices (resident_id, created_at);

CREATE INDEX voices_by_state ON voices (state, district, created_at);

CREATE INDEX voices_published ON voices (district, published);

CREATE INDEX voices_by_event ON voices (event_id) WHERE event_id IS NOT NULL;

-- A photo is kept apart from the list's rows, stripped of EXIF before it is stored.
CREATE TABLE voice_photos (
    voice_id INTEGER PRIMARY KEY REFERENCES voices (id) ON DELETE CASCADE,
    media_type TEXT NOT NULL,
    data BLOB NOT NULL
);

-- 賛同: one a person (the dispatcher's row), whatever channel they tapped it on.
CREATE TABLE voice_supports (
    voice_id INTEGER NOT NULL REFERENCES voices (id) ON DELETE CASCADE,
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    supported_at TEXT NOT NULL,
    PRIMARY KEY (voice_id, resident_id)
);

CREATE INDEX voice_supports_by_resident ON voice_supports (resident_id);

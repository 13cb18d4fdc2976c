-- Districts staff add on the dashboard (the pack's own come from its YAML file): residents can
-- choose them in settings and staff can aim polls, events and notices at them.
CREATE TABLE staff_districts (
    id TEXT PRIMARY KEY,
    name_ja TEXT NOT NULL,
    name_en TEXT,
    name_easy TEXT,
    created_at TEXT NOT NULL
);

-- Questions and answers staff add in the dashboard (よくある質問), beside those of the pack.
-- `questions` is a JSON list of the ways residents ask it.
CREATE TABLE faq_entries (
    id INTEGER PRIMARY KEY,
    questions TEXT NOT NULL,
    answer_ja TEXT NOT NULL,
    answer_en TEXT,
    answer_easy TEXT,
    source TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- What residents asked that the bot could not answer: the text only, never who asked.
CREATE TABLE unanswered_questions (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    asked_at TEXT NOT NULL
);

CREATE INDEX unanswered_questions_by_time ON unanswered_questions (asked_at);

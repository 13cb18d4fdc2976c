-- Counter sign-ups (窓口での代理入力, issue 25): staff sign a person up for a watch shift by name
-- at the 公民館 or on the phone. Such a roster-only volunteer has no chat account, so their
-- sign-up row has no resident and carries the name, how consent was given and which staff
-- account recorded it (created_at is when). Keeping them in watch_signups keeps one capacity
-- and waitlist logic for everyone.
ALTER TABLE watch_signups ALTER COLUMN resident_id DROP NOT NULL;
-- NULL once the roster-name retention rule has removed it.
ALTER TABLE watch_signups ADD COLUMN counter_name TEXT
    CHECK (length(counter_name) BETWEEN 1 AND 40);
ALTER TABLE watch_signups ADD COLUMN counter_via TEXT CHECK (counter_via IN ('counter', 'phone'));
ALTER TABLE watch_signups ADD COLUMN counter_staff TEXT;
ALTER TABLE watch_signups ADD CONSTRAINT watch_signups_one_kind
    CHECK ((resident_id IS NULL) = (counter_via IS NOT NULL));
ALTER TABLE watch_signups ADD CONSTRAINT watch_signups_counter_staff
    CHECK ((counter_via IS NULL) = (counter_staff IS NULL));

-- PostgreSQL: the same tables as migrations/0021_paper_ballots.sql; its three triggers are one
-- trigger function per table here, raising a check violation (a ConstraintViolationError).
CREATE TABLE paper_tallies (
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    entered_by TEXT NOT NULL,
    district TEXT NOT NULL,
    ballots INTEGER NOT NULL CHECK (ballots BETWEEN 0 AND 100000),
    entered_at TEXT NOT NULL,
    PRIMARY KEY (poll_id, entered_by, district)
);

CREATE TABLE paper_tally_votes (
    poll_id INTEGER NOT NULL,
    entered_by TEXT NOT NULL,
    district TEXT NOT NULL,
    position INTEGER NOT NULL,
    votes INTEGER NOT NULL CHECK (votes >= 0),
    PRIMARY KEY (poll_id, entered_by, district, position),
    FOREIGN KEY (poll_id, entered_by, district)
        REFERENCES paper_tallies (poll_id, entered_by, district) ON DELETE CASCADE,
    FOREIGN KEY (poll_id, position) REFERENCES poll_choices (poll_id, position) ON DELETE CASCADE
);

CREATE FUNCTION paper_votes_within_ballots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF new.votes > (
        SELECT ballots FROM paper_tallies
        WHERE poll_id = new.poll_id AND entered_by = new.entered_by AND district = new.district
    ) THEN
        RAISE EXCEPTION 'paper votes for a choice exceed the paper ballots entered'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN new;
END $$;
CREATE TRIGGER paper_votes_within_ballots BEFORE INSERT OR UPDATE ON paper_tally_votes
FOR EACH ROW EXECUTE FUNCTION paper_votes_within_ballots();

CREATE FUNCTION paper_ballots_cover_votes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF new.ballots < (
        SELECT coalesce(max(votes), 0) FROM paper_tally_votes
        WHERE poll_id = old.poll_id AND entered_by = old.entered_by AND district = old.district
    ) THEN
        RAISE EXCEPTION 'paper votes for a choice exceed the paper ballots entered'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN new;
END $$;
CREATE TRIGGER paper_ballots_cover_votes BEFORE UPDATE OF ballots ON paper_tallies
FOR EACH ROW EXECUTE FUNCTION paper_ballots_cover_votes();

-- Paper ballots counted at the counter (窓口) or from a 公民館's box (issue 25): one entry per
-- poll, staff member and district ('' = none, as in the count tables of migration 0009). A
-- correction by the same staff member replaces their entry (the service deletes and inserts it
-- in one transaction); entries of different staff members add up. Kept apart from the online
-- ballots and their running counts, so results show online, paper and both. `entered_by` is
-- the login as text, as in the audit log: an entry keeps counting after its account is gone.
CREATE TABLE paper_tallies (
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    entered_by TEXT NOT NULL,
    district TEXT NOT NULL,
    ballots INTEGER NOT NULL CHECK (ballots BETWEEN 0 AND 100000),
    entered_at TEXT NOT NULL,
    PRIMARY KEY (poll_id, entered_by, district)
);

-- Votes per choice of one entry: a choice of the poll, never more than the entry's ballots.
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

CREATE TRIGGER paper_votes_within_ballots BEFORE INSERT ON paper_tally_votes
WHEN new.votes > (
    SELECT ballots FROM paper_tallies
    WHERE poll_id = new.poll_id AND entered_by = new.entered_by AND district = new.district
)
BEGIN
    SELECT RAISE(ABORT, 'paper votes for a choice exceed the paper ballots entered');
END;

CREATE TRIGGER paper_votes_stay_within_ballots BEFORE UPDATE ON paper_tally_votes
WHEN new.votes > (
    SELECT ballots FROM paper_tallies
    WHERE poll_id = new.poll_id AND entered_by = new.entered_by AND district = new.district
)
BEGIN
    SELECT RAISE(ABORT, 'paper votes for a choice exceed the paper ballots entered');
END;

CREATE TRIGGER paper_ballots_cover_votes BEFORE UPDATE OF ballots ON paper_tallies
WHEN new.ballots < (
    SELECT coalesce(max(votes), 0) FROM paper_tally_votes
    WHERE poll_id = old.poll_id AND entered_by = old.entered_by AND district = old.district
)
BEGIN
    SELECT RAISE(ABORT, 'paper votes for a choice exceed the paper ballots entered');
END;

-- Running counts of every poll's ballots and choices, by district, kept by triggers inside the
-- transaction that changes a ballot (see the SQLite migration of the same number: the same
-- tables, the same five triggers). A district of '' stands for "none".
CREATE TABLE poll_ballot_counts (
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    district TEXT NOT NULL,
    ballots INTEGER NOT NULL,
    PRIMARY KEY (poll_id, district)
);

CREATE TABLE poll_choice_counts (
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    district TEXT NOT NULL,
    position INTEGER NOT NULL,
    votes INTEGER NOT NULL,
    PRIMARY KEY (poll_id, district, position)
);

INSERT INTO poll_ballot_counts (poll_id, district, ballots)
SELECT poll_id, coalesce(district, ''), count(*) FROM ballots
GROUP BY poll_id, coalesce(district, '');

INSERT INTO poll_choice_counts (poll_id, district, position, votes)
SELECT b.poll_id, coalesce(b.district, ''), bc.position, count(*)
FROM ballots b JOIN ballot_choices bc ON bc.ballot_id = b.id
GROUP BY b.poll_id, coalesce(b.district, ''), bc.position;

CREATE FUNCTION ballot_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO poll_ballot_counts (poll_id, district, ballots)
    VALUES (new.poll_id, coalesce(new.district, ''), 1)
    ON CONFLICT (poll_id, district) DO UPDATE SET ballots = poll_ballot_counts.ballots + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER ballot_counted AFTER INSERT ON ballots
FOR EACH ROW EXECUTE FUNCTION ballot_counted();

-- A ballot that changes district (a resident who moved votes again) takes its choices along.
CREATE FUNCTION ballot_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE poll_ballot_counts SET ballots = ballots - 1
    WHERE poll_id = old.poll_id AND district = coalesce(old.district, '');
    INSERT INTO poll_ballot_counts (poll_id, district, ballots)
    VALUES (new.poll_id, coalesce(new.district, ''), 1)
    ON CONFLICT (poll_id, district) DO UPDATE SET ballots = poll_ballot_counts.ballots + 1;
    UPDATE poll_choice_counts SET votes = votes - 1
    WHERE poll_id = old.poll_id AND district = coalesce(old.district, '')
    AND position IN (SELECT position FROM ballot_choices WHERE ballot_id = old.id);
    INSERT INTO poll_choice_counts (poll_id, district, position, votes)
    SELECT new.poll_id, coalesce(new.district, ''), position, 1
    FROM ballot_choices WHERE ballot_id = new.id
    ON CONFLICT (poll_id, district, position) DO UPDATE SET votes = poll_choice_counts.votes + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER ballot_moved AFTER UPDATE OF district ON ballots
FOR EACH ROW WHEN (coalesce(old.district, '') <> coalesce(new.district, ''))
EXECUTE FUNCTION ballot_moved();

-- A ballot's choices are counted out first, while the ballot still says which poll and
-- district they were for; then the ballot.
CREATE FUNCTION ballot_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ballot_choices WHERE ballot_id = old.id;
    UPDATE poll_ballot_counts SET ballots = ballots - 1
    WHERE poll_id = old.poll_id AND district = coalesce(old.district, '');
    RETURN old;
END $$;
CREATE TRIGGER ballot_uncounted BEFORE DELETE ON ballots
FOR EACH ROW EXECUTE FUNCTION ballot_uncounted();

CREATE FUNCTION choice_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO poll_choice_counts (poll_id, district, position, votes)
    SELECT poll_id, coalesce(district, ''), new.position, 1 FROM ballots WHERE id = new.ballot_id
    ON CONFLICT (poll_id, district, position) DO UPDATE SET votes = poll_choice_counts.votes + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER choice_counted AFTER INSERT ON ballot_choices
FOR EACH ROW EXECUTE FUNCTION choice_counted();

CREATE FUNCTION choice_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE poll_choice_counts SET votes = votes - 1
    WHERE (poll_id, district) = (
        SELECT poll_id, coalesce(district, '') FROM ballots WHERE id = old.ballot_id
    )
    AND position = old.position;
    RETURN NULL;
END $$;
CREATE TRIGGER choice_uncounted AFTER DELETE ON ballot_choices
FOR EACH ROW EXECUTE FUNCTION choice_uncounted();

-- How far a turn's send got, kept with its inbox event: the first `parts_sent` messages (as the
-- channel renders the stored replies) were delivered, so a retry resumes at the next one instead
-- of sending the whole reply again. `reply_unclear` (LINE): a call with the event's reply token
-- may have gone out without an answer (a timeout, a 5xx, or a crash: it is set with the replies
-- and cleared when a call fails clearly); the token is single-use, so LINE refusing it later
-- means that call went out.
ALTER TABLE inbound_events ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbound_events ADD COLUMN reply_unclear INTEGER NOT NULL DEFAULT 0;

-- A turn's replies (JSON), kept with its inbox event from the turn until they are sent: a send
-- that fails is tried again as a send, never by taking the turn again (a vote would come back
-- as "you changed your answer"). They go with the payload once the event is handled or given up.
ALTER TABLE inbound_events ADD COLUMN replies TEXT;

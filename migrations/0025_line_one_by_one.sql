-- A LINE batch LINE refused as a whole (a 400 for a multicast, say one malformed user id) is
-- sent one push per resident instead, each under a retry key made from the batch's key and
-- the user id. The flag is stored before the first push, so no retry of the batch (after a
-- crash, a lease passed on, a 5xx) ever multicasts it again: the multicast's key was never
-- accepted, and a multicast to residents already pushed would reach them twice.
ALTER TABLE line_batches ADD COLUMN one_by_one INTEGER NOT NULL DEFAULT 0;

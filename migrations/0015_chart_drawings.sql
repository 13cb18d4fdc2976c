-- Who caused a chart picture to be drawn (a keyed hash of the channel identity, never the id)
-- and when: a resident may cause only a few new drawings in ten minutes. Pictures are named
-- by a keyed hash of what they show, so the same results are drawn once and served again.
ALTER TABLE chart_images ADD COLUMN drawn_for TEXT;

ALTER TABLE chart_images ADD COLUMN drawn_at TEXT;

CREATE INDEX chart_images_by_drawer ON chart_images (drawn_for, drawn_at);

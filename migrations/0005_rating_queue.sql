-- 0005_rating_queue: the Rate queue interleaves prompts, and rating progress is constant-time at any size.
-- pairs.queue_key orders the queue: a pair's round (how many pairs of its prompt were stored before it)
-- first, then its prompt, so 28 pairs of one prompt no longer come in a row. rating_counts keeps, per
-- annotator, the live ratings (judged and skipped apart) and a queue cursor: every pair whose queue_key is
-- below it has a live rating by that annotator, so "the next pair" starts there instead of at the first
-- pair. pair_count keeps the number of pairs. Triggers keep all three true on every write.

ALTER TABLE pairs ADD COLUMN queue_key INTEGER;

UPDATE pairs
SET
  queue_key = ranked.round * 4294967296 + pairs.prompt_id
FROM
  (
    SELECT
      id,
      row_number() OVER (
        PARTITION BY
          prompt_id
        ORDER BY
          id
      ) - 1 AS round
    FROM
      pairs
  ) AS ranked
WHERE
  ranked.id = pairs.id;

CREATE INDEX pairs_queue ON pairs (queue_key, id);

CREATE TABLE pair_count (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
  pairs INTEGER NOT NULL CHECK (pairs >= 0)
) STRICT;

INSERT INTO pair_count (only_row, pairs) SELECT 1, COUNT(*) FROM pairs;

CREATE TABLE rating_counts (
  annotator_id INTEGER PRIMARY KEY REFERENCES annotators (id) ON DELETE CASCADE,
  -- Live ratings with a judgement (a, b, tie, both_bad) and live skips.
  rated INTEGER NOT NULL DEFAULT 0 CHECK (rated >= 0),
  skipped INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0),
  queue_cursor INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO rating_counts (annotator_id, rated, skipped)
SELECT
  a.id,
  (
    SELECT COUNT(*) FROM comparisons c
    WHERE c.annotator_id = a.id AND c.undone_at IS NULL AND c.is_quality_check = 0 AND c.choice <> 'skip'
  ),
  (
    SELECT COUNT(*) FROM comparisons c
    WHERE c.annotator_id = a.id AND c.undone_at IS NULL AND c.is_quality_check = 0 AND c.choice = 'skip'
  )
FROM
  annotators a;

CREATE TRIGGER pairs_queue_key_on_insert
AFTER INSERT ON pairs
BEGIN
  UPDATE pairs
  SET queue_key = (
      SELECT COUNT(*) FROM pairs q WHERE q.prompt_id = NEW.prompt_id AND q.id < NEW.id
    ) * 4294967296 + NEW.prompt_id
  WHERE id = NEW.id;
  -- A new pair below an annotator's cursor moves the cursor back to it.
  UPDATE rating_counts SET queue_cursor = (SELECT queue_key FROM pairs WHERE id = NEW.id)
  WHERE queue_cursor > (SELECT queue_key FROM pairs WHERE id = NEW.id);
  UPDATE pair_count SET pairs = pairs + 1;
END;

CREATE TRIGGER pairs_count_on_delete
AFTER DELETE ON pairs
BEGIN
  UPDATE pair_count SET pairs = pairs - 1;
END;

CREATE TRIGGER annotators_rating_counts
AFTER INSERT ON annotators
BEGIN
  INSERT INTO rating_counts (annotator_id) VALUES (NEW.id);
END;

CREATE TRIGGER comparisons_count_on_insert
AFTER INSERT ON comparisons
WHEN NEW.undone_at IS NULL AND NEW.is_quality_check = 0
BEGIN
  UPDATE rating_counts
  SET rated = rated + (NEW.choice <> 'skip'), skipped = skipped + (NEW.choice = 'skip')
  WHERE annotator_id = NEW.annotator_id;
END;

CREATE TRIGGER comparisons_count_on_delete
AFTER DELETE ON comparisons
WHEN OLD.undone_at IS NULL AND OLD.is_quality_check = 0
BEGIN
  UPDATE rating_counts
  SET rated = rated - (OLD.choice <> 'skip'), skipped = skipped - (OLD.choice = 'skip'),
    queue_cursor = min(queue_cursor, coalesce((SELECT queue_key FROM pairs WHERE id = OLD.pair_id), 0))
  WHERE annotator_id = OLD.annotator_id;
END;

-- Any change of a rating (undo above all): take its old contribution off and put its new one on; a
-- rating that stops being live puts its pair back in the queue (the cursor moves back to it).
CREATE TRIGGER comparisons_count_on_update
AFTER UPDATE OF undone_at, is_quality_check, choice, annotator_id, pair_id ON comparisons
BEGIN
  UPDATE rating_counts
  SET rated = rated - (OLD.choice <> 'skip'), skipped = skipped - (OLD.choice = 'skip'),
    queue_cursor = min(queue_cursor, coalesce((SELECT queue_key FROM pairs WHERE id = OLD.pair_id), 0))
  WHERE annotator_id = OLD.annotator_id AND OLD.undone_at IS NULL AND OLD.is_quality_check = 0;
  UPDATE rating_counts
  SET rated = rated + (NEW.choice <> 'skip'), skipped = skipped + (NEW.choice = 'skip')
  WHERE annotator_id = NEW.annotator_id AND NEW.undone_at IS NULL AND NEW.is_quality_check = 0;
END;

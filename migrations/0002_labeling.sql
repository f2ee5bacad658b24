-- 0002_labeling: reason tags as a setting, dataset statistics, quality-check lookups, and frozen datasets
-- (a dataset used by a run can no longer be changed or deleted; the database itself refuses it).

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL CHECK (json_valid(value_json)),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- Reason tags offered when rating, one key each; keys avoid the Rate view's own keys (1 2 a b q w e t x s u n m d ?).
INSERT INTO settings (key, value_json) VALUES (
  'rating_tags',
  '[{"name":"more accurate","key":"f"},{"name":"more helpful","key":"h"},{"name":"safer","key":"y"},{"name":"better format","key":"g"},{"name":"less verbose","key":"v"}]'
);

-- Counts taken when the snapshot was built (choices seen, pairs dropped and why, per annotator).
ALTER TABLE datasets ADD COLUMN stats_json TEXT CHECK (stats_json IS NULL OR json_valid(stats_json));

-- Live quality checks of an annotator: "was this pair already re-shown to this person?".
CREATE INDEX comparisons_quality_checks ON comparisons (annotator_id, pair_id)
WHERE
  undone_at IS NULL
  AND is_quality_check = 1;

CREATE TRIGGER runs_freeze_dataset_on_insert
AFTER INSERT ON runs
WHEN NEW.dataset_id IS NOT NULL
BEGIN
  UPDATE datasets SET frozen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE id = NEW.dataset_id AND frozen_at IS NULL;
END;

CREATE TRIGGER runs_freeze_dataset_on_update
AFTER UPDATE OF dataset_id ON runs
WHEN NEW.dataset_id IS NOT NULL
BEGIN
  UPDATE datasets SET frozen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE id = NEW.dataset_id AND frozen_at IS NULL;
END;

CREATE TRIGGER datasets_frozen_no_update
BEFORE UPDATE ON datasets
WHEN OLD.frozen_at IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'dataset is frozen: it was used by a training run');
END;

CREATE TRIGGER datasets_frozen_no_delete
BEFORE DELETE ON datasets
WHEN OLD.frozen_at IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'dataset is frozen: it was used by a training run');
END;

CREATE TRIGGER dataset_pairs_frozen_no_insert
BEFORE INSERT ON dataset_pairs
WHEN (SELECT frozen_at FROM datasets WHERE id = NEW.dataset_id) IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'dataset is frozen: it was used by a training run');
END;

CREATE TRIGGER dataset_pairs_frozen_no_update
BEFORE UPDATE ON dataset_pairs
WHEN (SELECT frozen_at FROM datasets WHERE id = OLD.dataset_id) IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'dataset is frozen: it was used by a training run');
END;

CREATE TRIGGER dataset_pairs_frozen_no_delete
BEFORE DELETE ON dataset_pairs
WHEN (SELECT frozen_at FROM datasets WHERE id = OLD.dataset_id) IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'dataset is frozen: it was used by a training run');
END;

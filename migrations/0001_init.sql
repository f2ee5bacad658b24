-- 0001_init: the schema for the whole loop (models, prompts, candidates, pairs, ratings, datasets, runs, jobs).
-- Frozen once landed: later changes go in 0002_... and add columns rather than redesign.
-- Timestamps are ISO-8601 UTC text with milliseconds; *_json columns hold valid JSON or NULL.

CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('embedded', 'imported', 'trained')),
  path TEXT NOT NULL,
  architecture TEXT,
  dtype TEXT,
  parameter_count INTEGER CHECK (parameter_count IS NULL OR parameter_count >= 0),
  parent_id INTEGER REFERENCES models (id),
  config_json TEXT CHECK (config_json IS NULL OR json_valid(config_json)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  removed_at TEXT
) STRICT;

CREATE INDEX models_by_parent ON models (parent_id);

CREATE TABLE prompts (
  id INTEGER PRIMARY KEY,
  text TEXT NOT NULL,
  -- Chat turns [{role, content}] when the prompt is conversational; text is then its rendered form.
  messages_json TEXT CHECK (messages_json IS NULL OR json_valid(messages_json)),
  source TEXT NOT NULL DEFAULT 'manual',
  -- sha256 (hex) of text: the same prompt is stored once however often it is imported.
  content_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE candidates (
  id INTEGER PRIMARY KEY,
  prompt_id INTEGER NOT NULL REFERENCES prompts (id),
  model_id INTEGER REFERENCES models (id),
  text TEXT NOT NULL,
  token_ids_json TEXT CHECK (token_ids_json IS NULL OR json_valid(token_ids_json)),
  token_count INTEGER CHECK (token_count IS NULL OR token_count >= 0),
  -- Sum over the completion tokens of log p(token | prefix) under model_id.
  logp REAL,
  finish_reason TEXT,
  sampling_json TEXT CHECK (sampling_json IS NULL OR json_valid(sampling_json)),
  seed INTEGER,
  source TEXT NOT NULL CHECK (source IN ('generated', 'imported')),
  -- sha256 (hex) of text.
  content_hash TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  -- The same response to the same prompt is stored once; this index also serves "candidates of a prompt".
  UNIQUE (prompt_id, content_hash),
  -- Parent key for pairs' composite foreign keys: both sides of a pair answer the pair's prompt.
  UNIQUE (id, prompt_id)
) STRICT;

CREATE INDEX candidates_by_model ON candidates (model_id);

CREATE TABLE annotators (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(trim(name)) > 0),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE pairs (
  id INTEGER PRIMARY KEY,
  prompt_id INTEGER NOT NULL REFERENCES prompts (id),
  candidate_a_id INTEGER NOT NULL,
  candidate_b_id INTEGER NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('import', 'all_pairs', 'best_worst', 'random', 'uncertainty', 'rank')),
  -- For imported rows: the side the file said was chosen (imports store the chosen response as candidate a).
  imported_preference TEXT CHECK (imported_preference IS NULL OR imported_preference IN ('a', 'b')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK (candidate_a_id <> candidate_b_id),
  FOREIGN KEY (candidate_a_id, prompt_id) REFERENCES candidates (id, prompt_id),
  FOREIGN KEY (candidate_b_id, prompt_id) REFERENCES candidates (id, prompt_id)
) STRICT;

-- A pair is unordered: (x, y) and (y, x) are the same two responses, so a rater never sees them twice.
CREATE UNIQUE INDEX pairs_unordered ON pairs (min(candidate_a_id, candidate_b_id), max(candidate_a_id, candidate_b_id));
CREATE INDEX pairs_by_prompt ON pairs (prompt_id);
CREATE INDEX pairs_by_candidate_a ON pairs (candidate_a_id);
CREATE INDEX pairs_by_candidate_b ON pairs (candidate_b_id);

CREATE TABLE comparisons (
  id INTEGER PRIMARY KEY,
  pair_id INTEGER NOT NULL REFERENCES pairs (id),
  annotator_id INTEGER NOT NULL REFERENCES annotators (id),
  choice TEXT NOT NULL CHECK (choice IN ('a', 'b', 'tie', 'both_bad', 'skip')),
  -- 1 slight, 2 clear, 3 strong; only meaningful when one side won.
  strength INTEGER CHECK (strength IS NULL OR (strength BETWEEN 1 AND 3 AND choice IN ('a', 'b'))),
  note TEXT,
  tags_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags_json) AND json_type(tags_json) = 'array'),
  time_spent_ms INTEGER NOT NULL DEFAULT 0 CHECK (time_spent_ms >= 0),
  -- The candidate shown on the left, so position bias can be measured.
  left_candidate_id INTEGER NOT NULL REFERENCES candidates (id),
  -- A repeat of an already rated pair to measure consistency; it never counts as the live rating.
  is_quality_check INTEGER NOT NULL DEFAULT 0 CHECK (is_quality_check IN (0, 1)),
  undone_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- One live rating per (annotator, pair), whatever the number of open tabs. Also the index behind
-- "next pair to rate" and rating progress.
CREATE UNIQUE INDEX comparisons_live_rating ON comparisons (annotator_id, pair_id)
WHERE
  undone_at IS NULL
  AND is_quality_check = 0;

-- An annotator's ratings newest first (rowid is the index's last column), and the annotator foreign key.
CREATE INDEX comparisons_by_annotator ON comparisons (annotator_id);
CREATE INDEX comparisons_by_pair ON comparisons (pair_id);

-- The left candidate decides how a screen choice maps onto a/b, so it must be one of the pair's sides.
-- (A missing pair is left to the foreign key.)
CREATE TRIGGER comparisons_left_candidate_in_pair
BEFORE INSERT ON comparisons
WHEN EXISTS (
  SELECT 1 FROM pairs
  WHERE pairs.id = NEW.pair_id AND NEW.left_candidate_id NOT IN (pairs.candidate_a_id, pairs.candidate_b_id)
)
BEGIN
  SELECT RAISE(ABORT, 'comparisons.left_candidate_id must be one of the pair''s candidates');
END;

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT,
  filters_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(filters_json)),
  eval_fraction REAL NOT NULL DEFAULT 0 CHECK (eval_fraction >= 0 AND eval_fraction < 1),
  split_seed INTEGER NOT NULL DEFAULT 0,
  frozen_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE dataset_pairs (
  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  pair_id INTEGER NOT NULL REFERENCES pairs (id),
  -- NULL for pairs taken from an imported preference rather than a rating.
  comparison_id INTEGER REFERENCES comparisons (id),
  chosen_candidate_id INTEGER NOT NULL REFERENCES candidates (id),
  rejected_candidate_id INTEGER NOT NULL REFERENCES candidates (id),
  weight REAL NOT NULL DEFAULT 1 CHECK (weight >= 0),
  split TEXT NOT NULL CHECK (split IN ('train', 'eval')),
  PRIMARY KEY (dataset_id, pair_id),
  CHECK (chosen_candidate_id <> rejected_candidate_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX dataset_pairs_by_pair ON dataset_pairs (pair_id);
CREATE INDEX dataset_pairs_by_comparison ON dataset_pairs (comparison_id);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL DEFAULT 'dpo',
  -- NULL when trained straight from a file (dpo-workbench train dpo --data PAIRS.jsonl).
  dataset_id INTEGER REFERENCES datasets (id),
  base_model_id INTEGER NOT NULL REFERENCES models (id),
  output_model_id INTEGER REFERENCES models (id),
  config_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config_json)),
  status TEXT NOT NULL DEFAULT 'queued' CHECK (
    status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')
  ),
  device TEXT,
  error TEXT,
  checkpoint_dir TEXT,
  step INTEGER NOT NULL DEFAULT 0 CHECK (step >= 0),
  total_steps INTEGER CHECK (total_steps IS NULL OR total_steps >= 0),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  started_at TEXT,
  finished_at TEXT
) STRICT;

CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_dataset ON runs (dataset_id);
CREATE INDEX runs_by_base_model ON runs (base_model_id);
CREATE INDEX runs_by_output_model ON runs (output_model_id);

-- One row per logged value (TRL's names: loss, rewards/margins, ...). The primary key serves "metrics of
-- a run" in (name, step) order without a sort. value is NULL when it was not finite (a diverged loss).
CREATE TABLE run_metrics (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step INTEGER NOT NULL CHECK (step >= 0),
  split TEXT NOT NULL CHECK (split IN ('train', 'eval')),
  name TEXT NOT NULL,
  value REAL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (run_id, split, name, step)
) STRICT, WITHOUT ROWID;

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued' CHECK (
    status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')
  ),
  progress REAL NOT NULL DEFAULT 0 CHECK (progress >= 0),
  total REAL CHECK (total IS NULL OR total >= 0),
  message TEXT,
  payload_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload_json)),
  result_json TEXT CHECK (result_json IS NULL OR json_valid(result_json)),
  error TEXT,
  run_id INTEGER REFERENCES runs (id),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX jobs_by_status ON jobs (status);
CREATE INDEX jobs_by_run ON jobs (run_id);

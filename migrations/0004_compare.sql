-- 0004_compare: before/after comparisons of two model versions on one prompt set (blind or labelled), their
-- items and votes, kept as history; and the implicit-reward margins of a training run's pairs.
-- Every vote is its own UPDATE as it is cast, so a killed app loses nothing that was voted.

CREATE TABLE compare_sessions (
  id INTEGER PRIMARY KEY,
  -- The reference (typically the base) and the candidate (typically the tuned version): the win rate is
  -- B's over A.
  model_a_id INTEGER NOT NULL REFERENCES models (id),
  model_b_id INTEGER NOT NULL REFERENCES models (id),
  -- Where the prompts came from: the eval split of a run's dataset, stored prompts, or typed texts.
  prompt_source TEXT NOT NULL CHECK (prompt_source IN ('run_eval', 'prompt_ids', 'texts')),
  run_id INTEGER REFERENCES runs (id),
  -- One seed for both models (same seed -> same per-candidate seeds), and the sampling settings
  -- {n, maxNewTokens, temperature, topP, topK}.
  seed INTEGER NOT NULL CHECK (seed >= 0),
  settings_json TEXT NOT NULL CHECK (json_valid(settings_json)),
  blind INTEGER NOT NULL CHECK (blind IN (0, 1)),
  status TEXT NOT NULL DEFAULT 'generating' CHECK (
    status IN ('generating', 'voting', 'revealed', 'failed', 'cancelled', 'interrupted')
  ),
  job_id INTEGER REFERENCES jobs (id),
  error TEXT,
  -- {wins, losses, ties, bothBad, unvoted, n, rate, low, high}: written once, at the reveal.
  result_json TEXT CHECK (result_json IS NULL OR json_valid(result_json)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  revealed_at TEXT,
  CHECK ((status = 'revealed') = (revealed_at IS NOT NULL AND result_json IS NOT NULL)),
  CHECK (prompt_source <> 'run_eval' OR run_id IS NOT NULL)
) STRICT;

CREATE INDEX compare_sessions_by_model_a ON compare_sessions (model_a_id);
CREATE INDEX compare_sessions_by_model_b ON compare_sessions (model_b_id);
CREATE INDEX compare_sessions_by_run ON compare_sessions (run_id);
CREATE INDEX compare_sessions_by_job ON compare_sessions (job_id);

CREATE TABLE compare_items (
  session_id INTEGER NOT NULL REFERENCES compare_sessions (id) ON DELETE CASCADE,
  -- The order items are shown in (0-based).
  position INTEGER NOT NULL CHECK (position >= 0),
  -- NULL for a typed prompt that is not among the stored prompts.
  prompt_id INTEGER REFERENCES prompts (id),
  prompt_text TEXT NOT NULL,
  -- Chat turns [{role, content}] when the prompt is conversational.
  prompt_messages_json TEXT CHECK (prompt_messages_json IS NULL OR json_valid(prompt_messages_json)),
  -- Candidate index within the prompt when n > 1 (both models' candidate i share the same seed).
  candidate_index INTEGER NOT NULL DEFAULT 0 CHECK (candidate_index >= 0),
  -- The two outputs, NULL until that model has generated (a generation killed halfway resumes from here).
  output_a TEXT,
  output_b TEXT,
  tokens_a INTEGER,
  tokens_b INTEGER,
  -- Which model's output is on the left: drawn per item from the session seed.
  a_on_left INTEGER NOT NULL CHECK (a_on_left IN (0, 1)),
  -- What the person pressed, in screen terms; mapped onto a/b only at the reveal.
  vote TEXT CHECK (vote IS NULL OR vote IN ('left', 'right', 'tie', 'both_bad')),
  voted_at TEXT,
  PRIMARY KEY (session_id, position),
  CHECK ((vote IS NULL) = (voted_at IS NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX compare_items_by_prompt ON compare_items (prompt_id);

-- Votes can change until the reveal, never after it.
CREATE TRIGGER compare_items_no_vote_after_reveal
BEFORE UPDATE OF vote ON compare_items
WHEN (SELECT status FROM compare_sessions WHERE id = OLD.session_id) = 'revealed'
BEGIN
  SELECT RAISE(ABORT, 'comparison is revealed: its votes can no longer change');
END;

-- beta * ((log pi(chosen) - log ref(chosen)) - (log pi(rejected) - log ref(rejected))) per pair of a run's
-- dataset, before (the parent version; 0 when the parent is the reference itself) and after training.
-- Computed once per run and kept: the run's dataset is frozen, so the pairs cannot change.
CREATE TABLE reward_margins (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  pair_id INTEGER NOT NULL REFERENCES pairs (id),
  split TEXT NOT NULL CHECK (split IN ('train', 'eval')),
  margin_before REAL NOT NULL,
  margin_after REAL NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (run_id, pair_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX reward_margins_by_pair ON reward_margins (pair_id);

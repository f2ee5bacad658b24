-- 0003_training: the reference log-prob cache of DPO runs, and what a run in the app needs besides 0001's
-- runs table (the settings it was started with, and the device note).

-- Reference log-probs (the base model without the adapter) of one scored sequence, computed once and reused
-- by re-runs and resumes. model_hash: sha256 of the model's config and weights (what was scored);
-- tokens_hash: sha256 of the token ids actually scored (after truncation) and where the completion starts.
CREATE TABLE reference_logps (
  model_hash TEXT NOT NULL CHECK (length(model_hash) = 64),
  tokens_hash TEXT NOT NULL CHECK (length(tokens_hash) = 64),
  -- Sum over the completion tokens of log p(token | everything before it); finite (not cached otherwise).
  logp REAL NOT NULL,
  token_count INTEGER NOT NULL CHECK (token_count >= 0),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (model_hash, tokens_hash)
) STRICT, WITHOUT ROWID;

-- The settings as the person chose them (before any automatic change such as the out-of-memory retry,
-- which is recorded in config_json), so a run can be shown and started again exactly as asked.
ALTER TABLE runs ADD COLUMN settings_json TEXT CHECK (settings_json IS NULL OR json_valid(settings_json));
-- Why the run is not on the device asked for (e.g. "CPU (no CUDA: ...)"), or what was changed on the way.
ALTER TABLE runs ADD COLUMN device_note TEXT;

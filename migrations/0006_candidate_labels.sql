-- 0006_candidate_labels: thumbs up / down on single candidates (the Generate view), KTO's unpaired labels.
-- One label per candidate, the latest choice: 'desirable' or 'undesirable'; clearing it (or undoing the
-- first choice) deletes the row. A KTO run adds the labels given before its dataset's snapshot on the
-- dataset's prompts as examples (services/train/kto-thumbs.ts); DPO and ORPO runs do not use them.
CREATE TABLE candidate_labels (
  candidate_id INTEGER PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
  label TEXT NOT NULL CHECK (label IN ('desirable', 'undesirable')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

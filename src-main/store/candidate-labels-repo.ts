// Thumbs up / down on single candidates (table candidate_labels, migration 0006): one label per candidate,
// set, changed or cleared; the labels given on some prompts before a time, for a KTO run's examples.
import type Database from 'better-sqlite3';
import type { CandidateLabel } from '../../src-shared/api-generate';

export interface LabeledCandidate {
  candidateId: number;
  promptText: string;
  messagesJson: string | null;
  text: string;
  label: CandidateLabel;
}

export class CandidateLabelsRepo {
  readonly #get: Database.Statement<[number], CandidateLabel>;
  readonly #upsert: Database.Statement<[number, string]>;
  readonly #delete: Database.Statement<[number]>;
  readonly #before: Database.Statement<[string], LabeledCandidate>;

  constructor(private readonly db: Database.Database) {
    this.#get = db.prepare<[number], CandidateLabel>(
      'SELECT label FROM candidate_labels WHERE candidate_id = ?',
    );
    this.#get.pluck();
    this.#upsert = db.prepare(
      `INSERT INTO candidate_labels (candidate_id, label) VALUES (?, ?)
         ON CONFLICT (candidate_id) DO UPDATE SET label = excluded.label,
           created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    );
    this.#delete = db.prepare('DELETE FROM candidate_labels WHERE candidate_id = ?');
    this.#before = db.prepare(
      `SELECT l.candidate_id AS candidateId, p.text AS promptText, p.messages_json AS messagesJson,
              c.text, l.label
         FROM candidate_labels l JOIN candidates c ON c.id = l.candidate_id JOIN prompts p ON p.id = c.prompt_id
        WHERE l.created_at <= ? ORDER BY l.candidate_id`,
    );
  }

  get(candidateId: number): CandidateLabel | null {
    return this.#get.get(candidateId) ?? null;
  }

  /** Sets (or with null clears) the label; returns the one it replaced. */
  set(candidateId: number, label: CandidateLabel | null): CandidateLabel | null {
    return this.db.transaction(() => {
      const previous = this.get(candidateId);
      if (label === null) this.#delete.run(candidateId);
      else if (label !== previous) this.#upsert.run(candidateId, label);
      return previous;
    })();
  }

  /** Labels last set at or before `time` (ISO), with their candidate's prompt and text. */
  labeledBefore(time: string): LabeledCandidate[] {
    return this.#before.all(time);
  }
}

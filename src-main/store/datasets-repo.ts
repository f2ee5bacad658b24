// Datasets: named snapshots of preference pairs (chosen, rejected, weight, split), the ratings and
// imported pairs they are built from, and their rows for previews and exports.
import type Database from 'better-sqlite3';
import type { Choice } from '../../src-shared/schemas';
import { ConflictError, isSqliteError } from './errors';

export interface DatasetRecord {
  id: number;
  name: string;
  description: string | null;
  filtersJson: string;
  evalFraction: number;
  splitSeed: number;
  frozenAt: string | null;
  createdAt: string;
  statsJson: string | null;
}

export interface NewDataset {
  name: string;
  description: string | null;
  filtersJson: string;
  evalFraction: number;
  splitSeed: number;
}

export interface DatasetPairRow {
  pairId: number;
  comparisonId: number | null;
  chosenCandidateId: number;
  rejectedCandidateId: number;
  weight: number;
  split: 'train' | 'eval';
}

export interface StoredDatasetRow {
  pairId: number;
  comparisonId: number | null;
  prompt: string;
  messagesJson: string | null;
  chosen: string;
  rejected: string;
  weight: number;
  split: 'train' | 'eval';
}

/** A live rating with everything a snapshot needs to filter it and turn it into a preference pair. */
export interface RatingSource {
  comparisonId: number;
  pairId: number;
  annotatorId: number;
  annotatorName: string;
  choice: Choice;
  strength: number | null;
  tagsJson: string;
  createdAt: string;
  promptText: string;
  candidateAId: number;
  candidateBId: number;
}

export interface ImportedSource {
  pairId: number;
  promptText: string;
  chosenCandidateId: number;
  rejectedCandidateId: number;
}

const COLUMNS = `id, name, description, filters_json AS filtersJson, eval_fraction AS evalFraction,
  split_seed AS splitSeed, frozen_at AS frozenAt, created_at AS createdAt, stats_json AS statsJson`;

// dataset_pairs' primary key (dataset_id, pair_id) serves the rows of one dataset in pair order.
export const DATASET_ROWS_SQL = `SELECT dp.pair_id AS pairId, dp.comparison_id AS comparisonId, pr.text AS prompt, pr.messages_json AS messagesJson,
    c.text AS chosen, r.text AS rejected, dp.weight, dp.split
  FROM dataset_pairs dp
  JOIN pairs p ON p.id = dp.pair_id
  JOIN prompts pr ON pr.id = p.prompt_id
  JOIN candidates c ON c.id = dp.chosen_candidate_id
  JOIN candidates r ON r.id = dp.rejected_candidate_id
  WHERE dp.dataset_id = ? AND (? IS NULL OR dp.split = ?)
  ORDER BY dp.pair_id LIMIT ? OFFSET ?`;

const RATING_SOURCES_SQL = `SELECT c.id AS comparisonId, c.pair_id AS pairId, c.annotator_id AS annotatorId,
    an.name AS annotatorName, c.choice, c.strength, c.tags_json AS tagsJson, c.created_at AS createdAt,
    pr.text AS promptText, p.candidate_a_id AS candidateAId, p.candidate_b_id AS candidateBId
  FROM comparisons c
  JOIN annotators an ON an.id = c.annotator_id
  JOIN pairs p ON p.id = c.pair_id
  JOIN prompts pr ON pr.id = p.prompt_id
  WHERE c.undone_at IS NULL AND c.is_quality_check = 0
  ORDER BY c.pair_id, c.id`;

const IMPORTED_SOURCES_SQL = `SELECT p.id AS pairId, pr.text AS promptText,
    CASE p.imported_preference WHEN 'a' THEN p.candidate_a_id ELSE p.candidate_b_id END AS chosenCandidateId,
    CASE p.imported_preference WHEN 'a' THEN p.candidate_b_id ELSE p.candidate_a_id END AS rejectedCandidateId
  FROM pairs p JOIN prompts pr ON pr.id = p.prompt_id
  WHERE p.imported_preference IS NOT NULL
  ORDER BY p.id`;

export class DatasetsRepo {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  create(dataset: NewDataset): number {
    const sql = `INSERT INTO datasets (name, description, filters_json, eval_fraction, split_seed)
      VALUES (?, ?, ?, ?, ?)`;
    try {
      const { name, description, filtersJson, evalFraction, splitSeed } = dataset;
      return Number(this.#run(sql, name, description, filtersJson, evalFraction, splitSeed).lastInsertRowid);
    } catch (error) {
      if (isSqliteError(error, 'SQLITE_CONSTRAINT_UNIQUE')) {
        throw new ConflictError(`a dataset named "${dataset.name}" already exists`, { cause: error });
      }
      throw error;
    }
  }

  /** Replaces the settings and every pair of a dataset (a rebuild); refused by triggers once frozen. */
  replace(
    datasetId: number,
    settings: Omit<NewDataset, 'name'>,
    rows: readonly DatasetPairRow[],
    statsJson: string,
  ) {
    this.#db.transaction(() => {
      this.#run(
        `UPDATE datasets SET description = ?, filters_json = ?, eval_fraction = ?, split_seed = ?, stats_json = ?
         WHERE id = ?`,
        settings.description,
        settings.filtersJson,
        settings.evalFraction,
        settings.splitSeed,
        statsJson,
        datasetId,
      );
      this.#run('DELETE FROM dataset_pairs WHERE dataset_id = ?', datasetId);
      const insert = this.#db.prepare(
        `INSERT INTO dataset_pairs (dataset_id, pair_id, comparison_id, chosen_candidate_id,
           rejected_candidate_id, weight, split) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const row of rows) {
        const { pairId, comparisonId, chosenCandidateId, rejectedCandidateId, weight, split } = row;
        insert.run(datasetId, pairId, comparisonId, chosenCandidateId, rejectedCandidateId, weight, split);
      }
    })();
  }

  setStats(datasetId: number, statsJson: string): void {
    this.#run('UPDATE datasets SET stats_json = ? WHERE id = ?', statsJson, datasetId);
  }

  /** The stored pair rows of a dataset (ids only), in pair order. */
  pairRows(datasetId: number): DatasetPairRow[] {
    return this.#db
      .prepare<[number], DatasetPairRow>(
        `SELECT pair_id AS pairId, comparison_id AS comparisonId, chosen_candidate_id AS chosenCandidateId,
           rejected_candidate_id AS rejectedCandidateId, weight, split
         FROM dataset_pairs WHERE dataset_id = ? ORDER BY pair_id`,
      )
      .all(datasetId);
  }

  get(datasetId: number): DatasetRecord | undefined {
    return this.#db
      .prepare<[number], DatasetRecord>(`SELECT ${COLUMNS} FROM datasets WHERE id = ?`)
      .get(datasetId);
  }

  getByName(name: string): DatasetRecord | undefined {
    return this.#db
      .prepare<[string], DatasetRecord>(`SELECT ${COLUMNS} FROM datasets WHERE name = ?`)
      .get(name);
  }

  list(): DatasetRecord[] {
    return this.#db.prepare<[], DatasetRecord>(`SELECT ${COLUMNS} FROM datasets ORDER BY id`).all();
  }

  delete(datasetId: number): boolean {
    return this.#run('DELETE FROM datasets WHERE id = ?', datasetId).changes === 1;
  }

  rows(datasetId: number, split: 'train' | 'eval' | null, limit = -1, offset = 0): StoredDatasetRow[] {
    return this.#db
      .prepare<[number, string | null, string | null, number, number], StoredDatasetRow>(DATASET_ROWS_SQL)
      .all(datasetId, split, split, limit, offset);
  }

  countRows(datasetId: number, split: 'train' | 'eval' | null): number {
    const sql = 'SELECT COUNT(*) FROM dataset_pairs WHERE dataset_id = ? AND (? IS NULL OR split = ?)';
    return (
      this.#db
        .prepare<[number, string | null, string | null], number>(sql)
        .pluck()
        .get(datasetId, split, split) ?? 0
    );
  }

  ratingSources(): RatingSource[] {
    return this.#db.prepare<[], RatingSource>(RATING_SOURCES_SQL).all();
  }

  importedSources(): ImportedSource[] {
    return this.#db.prepare<[], ImportedSource>(IMPORTED_SOURCES_SQL).all();
  }

  /** Every live rating of the dataset's pairs, whatever the dataset's filters: the input to agreement. */
  ratingsOfPairs(datasetId: number): Array<{ pairId: number; annotatorId: number; choice: Choice }> {
    return this.#db
      .prepare<[number], { pairId: number; annotatorId: number; choice: Choice }>(
        `SELECT c.pair_id AS pairId, c.annotator_id AS annotatorId, c.choice FROM dataset_pairs dp
         JOIN comparisons c ON c.pair_id = dp.pair_id AND c.undone_at IS NULL AND c.is_quality_check = 0
         WHERE dp.dataset_id = ? ORDER BY c.pair_id, c.annotator_id`,
      )
      .all(datasetId);
  }

  #run(sql: string, ...params: Array<string | number | null>): Database.RunResult {
    return this.#db.prepare(sql).run(...params);
  }
}

/** A trigger of 0002_labeling refused to change a frozen dataset. */
export function isFrozenError(error: unknown): boolean {
  return error instanceof Error && error.message.includes('dataset is frozen');
}

// The labeling and data part of the API contract (spread into apiContract in api.ts): file import, datasets
// with preview, export and agreement, reason tags, annotator statistics, pairing and rank mode.
import { z } from 'zod';
import {
  Agreement,
  AnnotatorStats,
  CandidateInfo,
  Dataset,
  DatasetFilters,
  DatasetName,
  DatasetRow,
  DatasetSplitPlan,
  EvalFraction,
  ExportFormat,
  PairingStrategy,
  RatingTags,
  UncertaintyResult,
  Split,
} from './labeling-schemas';
import { FileImportResult, Id, ImportAs } from './schemas';

const datasetInput = z.object({ datasetId: Id });
const Count = z.number().int().nonnegative();
const MiB = 1024 * 1024;

export const labelingContract = {
  importFile: {
    input: z.object({
      fileName: z.string().min(1).max(255),
      // Text files as they are; binary ones (Parquet) as base64. 64 MiB of file either way.
      content: z.string().max(Math.ceil((64 * MiB * 4) / 3) + 4, 'file is larger than 64 MiB'),
      encoding: z.enum(['utf8', 'base64']).default('utf8'),
      as: ImportAs.optional(),
      dataset: DatasetName.optional(),
      // With dataset: the share of pairs held out for eval (split by prompt); none when absent.
      evalFraction: EvalFraction.optional(),
    }),
    output: FileImportResult,
  },
  listDatasets: { input: z.object({}), output: z.array(Dataset) },
  getDataset: { input: datasetInput, output: Dataset },
  createDataset: {
    input: z.object({
      name: DatasetName,
      description: z.string().max(2000).nullable().default(null),
      filters: DatasetFilters.default({}),
      evalFraction: EvalFraction.default(0.1),
      splitSeed: z.number().int().default(0),
    }),
    output: Dataset,
  },
  /** What createDataset would make with these settings, stored nowhere: the split's counts, per annotator. */
  planDatasetSplit: {
    input: z.object({
      filters: DatasetFilters.default({}),
      evalFraction: EvalFraction.default(0.1),
      splitSeed: z.number().int().default(0),
    }),
    output: DatasetSplitPlan,
  },
  rebuildDataset: {
    input: z.object({
      datasetId: Id,
      description: z.string().max(2000).nullable().optional(),
      filters: DatasetFilters.optional(),
      evalFraction: EvalFraction.optional(),
      splitSeed: z.number().int().optional(),
    }),
    output: Dataset,
  },
  deleteDataset: { input: datasetInput, output: z.object({ deleted: Id }) },
  previewDataset: {
    input: z.object({
      datasetId: Id,
      split: Split.nullable().default(null),
      offset: Count.default(0),
      limit: z.number().int().min(1).max(500).default(50),
    }),
    output: z.object({ total: Count, rows: z.array(DatasetRow) }),
  },
  exportDataset: {
    input: z.object({ datasetId: Id, format: ExportFormat, split: Split.nullable().default(null) }),
    output: z.object({
      fileName: z.string(),
      encoding: z.enum(['utf8', 'base64']),
      content: z.string(),
      rows: Count,
    }),
  },
  getDatasetAgreement: { input: datasetInput, output: Agreement },
  getRatingTags: { input: z.object({}), output: RatingTags },
  setRatingTags: { input: z.object({ tags: RatingTags }), output: RatingTags },
  getAnnotatorStats: { input: z.object({}), output: z.array(AnnotatorStats) },
  listCandidates: {
    input: z.object({ promptId: Id }),
    output: z.object({ promptId: Id, prompt: z.string(), candidates: z.array(CandidateInfo) }),
  },
  /** Prompts with enough candidates for rank mode, newest first. */
  listRankablePrompts: {
    input: z.object({
      minCandidates: z.number().int().min(2).max(20).default(3),
      limit: z.number().int().min(1).max(500).default(100),
    }),
    output: z.array(z.object({ promptId: Id, prompt: z.string(), candidates: Count })),
  },
  createPairs: {
    input: z.object({
      promptId: Id,
      strategy: PairingStrategy,
      // For random and uncertainty: how many pairs to draw.
      count: z.number().int().min(1).max(10_000).default(10),
      seed: z.number().int().default(0),
      similarityThreshold: z.number().min(0).max(1).default(0.9),
      // For uncertainty: the model version whose implicit rewards decide (a tuned one: base + adapter).
      modelId: Id.optional(),
      // For uncertainty: DPO's beta, scaling the reported rewards.
      beta: z.number().positive().max(100).default(0.1),
      // Only these candidates of the prompt (one generation run's); all of the prompt's when absent.
      candidateIds: z.array(Id).min(1).max(1000).optional(),
    }),
    output: z.object({
      pairsAdded: Count,
      duplicatesSkipped: Count,
      candidatesDropped: z.array(Id),
      // Uncertainty only: what the margins were computed from, and each chosen pair's margin.
      uncertainty: UncertaintyResult.optional(),
    }),
  },
  submitRanking: {
    input: z.object({
      annotatorId: Id,
      promptId: Id,
      candidateIds: z.array(Id).min(2).max(20),
      timeSpentMs: z.number().int().nonnegative().max(86_400_000),
    }),
    output: z.object({ pairsAdded: Count, comparisonsAdded: Count, alreadyRated: Count }),
  },
};

export const labelingEvents = {
  datasetsChanged: z.object({ datasetId: Id, kind: z.enum(['created', 'rebuilt', 'deleted']) }),
};

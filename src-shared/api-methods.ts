// The names of every API method and event, free of any library so the sandboxed preload can import them.
// The schemas for each live in api.ts; a test checks that both lists agree.

export const API_METHODS = [
  'getAppInfo',
  'getDevice',
  'listAnnotators',
  'createAnnotator',
  'importPairs',
  'nextPair',
  'submitRating',
  'undoRating',
  'getRatingProgress',
  'listRatings',
  'importFile',
  'listDatasets',
  'getDataset',
  'createDataset',
  'planDatasetSplit',
  'rebuildDataset',
  'deleteDataset',
  'previewDataset',
  'exportDataset',
  'getDatasetAgreement',
  'getRatingTags',
  'setRatingTags',
  'getAnnotatorStats',
  'listCandidates',
  'listRankablePrompts',
  'createPairs',
  'submitRanking',
  'createComparison',
  'getComparison',
  'voteComparison',
  'revealComparison',
  'resumeComparison',
  'listComparisons',
  'getRewardMargins',
  'startFrontier',
  'getFrontier',
  'listJobs',
  'cancelJob',
  'listModels',
  'importModel',
  'removeModel',
  'listPrompts',
  'addPrompts',
  'importPrompts',
  'startGeneration',
  'listPromptCandidates',
  'labelCandidate',
  'listGenerationRuns',
  'getGenerationRun',
  'getTrainDefaults',
  'startTraining',
  'listRuns',
  'getRun',
  'cancelRun',
  'resumeRun',
  'getRoundPlan',
  'exportClusterBundle',
] as const;

export type ApiMethod = (typeof API_METHODS)[number];

export const API_EVENTS = [
  'ratingsChanged',
  'pairsImported',
  'datasetsChanged',
  'jobsChanged',
  'modelsChanged',
  'generationTokens',
  'comparisonsChanged',
  'runMetrics',
  'runsChanged',
] as const;

export type ApiEvent = (typeof API_EVENTS)[number];

/** Electron IPC channel of a method: one channel per method, checked against this list on both sides. */
export function ipcChannel(method: ApiMethod): string {
  return `api:${method}`;
}

export const IPC_EVENT_CHANNEL = 'api-event';

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && (API_METHODS as readonly string[]).includes(name);
}

export function isApiEvent(name: unknown): name is ApiEvent {
  return typeof name === 'string' && (API_EVENTS as readonly string[]).includes(name);
}

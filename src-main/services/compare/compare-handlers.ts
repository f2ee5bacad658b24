// The Compare methods of the contract, over the compare, reward-margins and frontier services.
import type { ApiHandlers } from '../../../src-shared/api';
import type { compareContract } from '../../../src-shared/api-compare';
import type { CompareService } from './compare-service';
import type { FrontierService } from './frontier';
import type { RewardMarginsService } from './reward-margins';

type CompareHandlers = Pick<ApiHandlers, keyof typeof compareContract>;

export function createCompareHandlers(
  compare: CompareService,
  margins: RewardMarginsService,
  frontier: FrontierService,
): CompareHandlers {
  return {
    createComparison: (input) => compare.create(input),
    getComparison: ({ comparisonId }) => compare.get(comparisonId),
    voteComparison: (input) => compare.vote(input),
    revealComparison: ({ comparisonId }) => compare.reveal(comparisonId),
    resumeComparison: ({ comparisonId }) => compare.resume(comparisonId),
    listComparisons: ({ limit }) => compare.list(limit),
    getRewardMargins: ({ runId }) => margins.get(runId),
    startFrontier: ({ modelId }) => frontier.start(modelId),
    getFrontier: ({ modelId }) => frontier.latest(modelId),
  };
}

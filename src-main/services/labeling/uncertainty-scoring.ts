// Rewards for the uncertainty pairing strategy: each candidate's implicit reward under a tuned model version,
// r = beta * (log pi(y|x) - log pi_ref(y|x)) with pi = base + adapter and pi_ref = the base, scored with the
// same tokenization (TRL rows) and scoring graph as training and `logprobs`. An untuned version (no adapter)
// has every implicit reward 0, so the model's own sequence log-prob stands in, and the result says so.
import type { ChatMessage } from '../../../src-shared/schemas';
import { loadCheckpoint, ModelTokenizer } from '../../models/index';
import type { Device, DeviceRequest } from '../../runtime/index';
import { tokenizeRow, type PairExample } from '../../train/index';
import { scoreExamples } from '../train/logprobs-job';

export interface CandidateRewardsRequest {
  /** A model version as ModelsRepo.resolve gives it. */
  model: { modelDir: string; adapterDir?: string };
  prompt: string;
  /** The prompt's chat turns when it is conversational (the chat template renders it then). */
  promptMessages: readonly ChatMessage[] | null;
  candidates: ReadonlyArray<{ id: number; text: string }>;
  /** DPO's beta: scales the implicit rewards (the order of the margins does not depend on it). */
  beta: number;
  device?: DeviceRequest;
}

export interface CandidateRewards {
  /** Candidate id -> implicit reward (basis 'implicit_reward') or sequence log-prob (basis 'logp'). */
  rewards: Map<number, number>;
  basis: 'implicit_reward' | 'logp';
  /** Why the basis is not the implicit reward, when it is not. */
  note: string | null;
  device: Device;
}

/** A TRL row for two candidates of the prompt: text, or conversational when the prompt has messages. */
function trlRow(request: CandidateRewardsRequest, first: string, second: string): Record<string, unknown> {
  if (!request.promptMessages) return { prompt: request.prompt, chosen: first, rejected: second };
  const turn = (content: string) => [{ role: 'assistant', content }];
  return { prompt: request.promptMessages, chosen: turn(first), rejected: turn(second) };
}

export async function scoreCandidateRewards(request: CandidateRewardsRequest): Promise<CandidateRewards> {
  const { candidates } = request;
  if (candidates.length === 0) return { rewards: new Map(), basis: 'logp', note: null, device: 'cpu' };
  const { modelDir, adapterDir } = request.model;
  const model = loadCheckpoint(modelDir);
  const { config } = model;
  const tokenizer = ModelTokenizer.load(modelDir, {
    vocabSize: config.vocabSize,
    eosTokenIds: config.eosTokenIds,
  });
  // The scoring path scores pairs, so the candidates go two per row (an odd last one against itself).
  const examples: PairExample[] = [];
  for (let i = 0; i < candidates.length; i += 2) {
    const first = candidates[i] as { id: number; text: string };
    const second = candidates[i + 1] ?? first;
    examples.push(
      tokenizeRow(
        trlRow(request, first.text, second.text),
        tokenizer,
        `candidates ${first.id} and ${second.id}`,
      ),
    );
  }
  const options = {
    padTokenId: tokenizer.padTokenId ?? config.padTokenId ?? 0,
    ...(request.device ? { device: request.device } : {}),
  };
  const logps = (rows: { chosenLogp: number; rejectedLogp: number }[]): number[] =>
    candidates.map((_, i) => {
      const row = rows[Math.floor(i / 2)] as { chosenLogp: number; rejectedLogp: number };
      return i % 2 === 0 ? row.chosenLogp : row.rejectedLogp;
    });
  const policy = await scoreExamples(model, examples, { ...options, ...(adapterDir ? { adapterDir } : {}) });
  const policyLogps = logps(policy.rows);
  if (!adapterDir) {
    return {
      rewards: new Map(candidates.map((c, i) => [c.id, policyLogps[i] as number])),
      basis: 'logp',
      note:
        'this model version has no adapter (it is not tuned), so every implicit reward is 0; pairs were ' +
        "chosen by the difference of the model's own sequence log-probs instead",
      device: policy.device,
    };
  }
  const reference = logps((await scoreExamples(model, examples, options)).rows);
  return {
    rewards: new Map(
      candidates.map((c, i) => [
        c.id,
        request.beta * ((policyLogps[i] as number) - (reference[i] as number)),
      ]),
    ),
    basis: 'implicit_reward',
    note: null,
    device: policy.device,
  };
}

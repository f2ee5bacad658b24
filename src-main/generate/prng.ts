// The sampler's seeded, checkpointable PRNG (xoshiro128**, seeded through splitmix32) and the derivation of
// each candidate's seed from the run seed: every candidate owns its stream, so batching cannot change results.

/** The whole generator state: four uint32 words. Store it to resume the same stream. */
export type PrngState = readonly [number, number, number, number];

const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finalizer: a bijection on uint32 with full avalanche. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`${what} must be a non-negative safe integer, got ${seed}`);
  }
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(state: PrngState) {
    [this.s0, this.s1, this.s2, this.s3] = state;
  }

  /** Expands a seed (any non-negative safe integer) into a state with splitmix32, as xoshiro's authors advise. */
  static fromSeed(seed: number): Prng {
    checkSeed(seed, 'Prng seed');
    let x = (seed >>> 0) ^ fmix32(Math.floor(seed / TWO_POW_32) + 0x6a09e667);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      words.push(fmix32(x));
    }
    const [a = 0, b = 0, c = 0, d = 0] = words;
    return new Prng(a | b | c | d ? [a, b, c, d] : [1, 0, 0, 0]);
  }

  static fromState(state: PrngState): Prng {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w >= TWO_POW_32)) {
      throw new Error(`Prng state must be four uint32 words, got [${state.join(', ')}]`);
    }
    if (state.every((w) => w === 0)) throw new Error('Prng state must not be all zeros');
    return new Prng(state);
  }

  get state(): PrngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** The next 32 random bits as a uint32 (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (two draws). */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }
}

/**
 * The seed of candidate `candidateIndex` of prompt `promptIndex` in a run seeded with `runSeed`: a uint32
 * hash of the three, so a stored candidate can be re-sampled from its own seed alone.
 */
export function deriveCandidateSeed(runSeed: number, promptIndex: number, candidateIndex: number): number {
  checkSeed(runSeed, 'run seed');
  checkSeed(promptIndex, 'prompt index');
  checkSeed(candidateIndex, 'candidate index');
  let h = fmix32((runSeed >>> 0) ^ fmix32(Math.floor(runSeed / TWO_POW_32) + 0x3c6ef372));
  h = fmix32(h ^ fmix32(promptIndex + 0xbb67ae85));
  h = fmix32((h + 0x9e3779b9) ^ fmix32(candidateIndex + 0xa54ff53a));
  return h;
}

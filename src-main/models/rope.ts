// RoPE inverse frequencies as transformers computes them (modeling_rope_utils.py), in float32, over the
// rotated dims of a head (rotaryDim; Phi's partial rotary): the default base^(-2j/d), `linear` scaling
// (divided by the factor), `llama3` scaling (wavelength bands) and `longrope` (per-frequency factors, short
// or long, plus an attention factor on cos and sin).
import type { ModelConfig, RopeScaling } from './config';

/** Which RoPE: the global one (rope_theta + rope_scaling) or the local one of sliding layers (Gemma 3). */
export type RopeKind = 'global' | 'local';

function ropeOf(c: ModelConfig, kind: RopeKind): { theta: number; scaling: RopeScaling } {
  if (kind === 'global') return { theta: c.ropeTheta, scaling: c.ropeScaling };
  if (!c.localRope) throw new Error('rope: this model has no local RoPE');
  return c.localRope;
}

/** cos and sin are multiplied by this (longrope's attention factor; 1 otherwise). */
export function ropeAttentionFactor(c: ModelConfig, kind: RopeKind = 'global'): number {
  const { scaling } = ropeOf(c, kind);
  return scaling.type === 'longrope' ? scaling.attentionFactor : 1;
}

/**
 * The inverse frequencies (rotaryDim / 2). `long` picks longrope's long factors, which transformers uses
 * for a forward whose positions reach past original_max_position_embeddings.
 */
export function ropeInverseFrequencies(
  c: ModelConfig,
  kind: RopeKind = 'global',
  long = false,
): Float32Array {
  const d = c.rotaryDim;
  const f = Math.fround;
  const { theta, scaling: s } = ropeOf(c, kind);
  const powers = Array.from({ length: d / 2 }, (_, j) => f(Math.pow(f(theta), f((2 * j) / d))));
  const base = powers.map((p) => f(1 / p));
  if (s.type === 'none') return Float32Array.from(base);
  if (s.type === 'linear') return Float32Array.from(base, (v) => f(v / s.factor));
  if (s.type === 'longrope') {
    // _compute_longrope_parameters: inv_freq = 1 / (ext_factors * base^(2j/d))
    const ext = long ? s.longFactor : s.shortFactor;
    return Float32Array.from(powers, (p, j) => f(1 / f(f(ext[j] as number) * p)));
  }
  // _compute_llama3_parameters: long wavelengths are divided by the factor, short ones kept, and the band
  // between is interpolated smoothly.
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return Float32Array.from(base, (inv) => {
    const wavelen = f((2 * Math.PI) / inv);
    const scaled = wavelen > lowWavelen ? f(inv / s.factor) : inv;
    if (wavelen < highWavelen || wavelen > lowWavelen) return scaled;
    const smooth = f(
      (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor),
    );
    return f(((1 - smooth) * scaled) / s.factor + smooth * scaled);
  });
}

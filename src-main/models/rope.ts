// RoPE inverse frequencies as transformers computes them (modeling_rope_utils.py): the default
// base^(-2j/d), `linear` scaling (divided by the factor) and `llama3` scaling (wavelength bands), in float32.
import type { ModelConfig } from './config';

export function ropeInverseFrequencies(c: ModelConfig): Float32Array {
  const d = c.headDim;
  const f = Math.fround;
  const base = Array.from({ length: d / 2 }, (_, j) => f(1 / f(Math.pow(f(c.ropeTheta), f((2 * j) / d)))));
  const s = c.ropeScaling;
  if (s.type === 'none') return Float32Array.from(base);
  if (s.type === 'linear') return Float32Array.from(base, (v) => f(v / s.factor));
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

// KV caches of a batched decode: one step's `present.*` outputs form a block whose rows are left-padded to a
// common length. A candidate's cache is a row of a block; a batch that is exactly the last block's rows in
// order is fed back as is, any other batch (forks, rows from several prompts, rows that left) is gathered.

/** The cache geometry of one model: per layer a key and a value tensor (batch, Hkv, length, D). */
export interface KvShape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

export interface KvBlock {
  /** 2 * layers arrays, key then value per layer, each (batch, Hkv, length, D). */
  kv: Float32Array[];
  batch: number;
  /** Padded length: the real tokens of row r are the last realLengths[r] positions. */
  length: number;
  realLengths: number[];
  /** Live caches pointing into this block; when every holder is in one decode call its arrays may move. */
  holders: number;
}

export interface KvRow {
  block: KvBlock;
  row: number;
}

/** The padded past of a decode batch: per-row real lengths and the arrays to feed. */
export interface PackedPast {
  kv: Float32Array[];
  length: number;
  realLengths: number[];
  /** The arrays are this batch's own (gathered, or a block whose holders are all in the batch). */
  owned: boolean;
}

/** Whether `rows` are exactly rows 0..batch-1 of one block, in order. */
function isWholeBlock(rows: readonly KvRow[]): boolean {
  const block = rows[0]?.block;
  return (
    block !== undefined &&
    rows.length === block.batch &&
    rows.every((r, i) => r.block === block && r.row === i)
  );
}

/** Copies every row's real positions into fresh arrays left-padded to the longest row. */
function gather(shape: KvShape, rows: readonly KvRow[]): PackedPast {
  const { kvHeads, headDim } = shape;
  const realLengths = rows.map((r) => r.block.realLengths[r.row] as number);
  const length = Math.max(...realLengths);
  const kv = Array.from({ length: 2 * shape.layers }, (_, t) => {
    const out = new Float32Array(rows.length * kvHeads * length * headDim); // (B, Hkv, length, D)
    rows.forEach(({ block, row }, b) => {
      const src = block.kv[t] as Float32Array;
      const real = realLengths[b] as number;
      for (let h = 0; h < kvHeads; h++) {
        const from = ((row * kvHeads + h) * block.length + block.length - real) * headDim;
        const to = ((b * kvHeads + h) * length + length - real) * headDim;
        out.set(src.subarray(from, from + real * headDim), to);
      }
    });
    return out;
  });
  return { kv, length, realLengths, owned: true };
}

/** The past to feed for `rows`: the block itself when the batch is that block, else a gathered copy. */
export function packPast(shape: KvShape, rows: readonly KvRow[]): PackedPast {
  if (rows.length === 0) throw new Error('kv cache: a decode batch needs at least one row');
  if (new Set(rows).size !== rows.length)
    throw new Error('kv cache: the same cache appears twice in a batch');
  if (!isWholeBlock(rows)) return gather(shape, rows);
  const block = (rows[0] as KvRow).block;
  return {
    kv: block.kv,
    length: block.length,
    realLengths: [...block.realLengths],
    owned: block.holders === rows.length,
  };
}

/** attention_mask (B, length + 1): 0 over each row's left padding, 1 over its real past and the new token. */
export function decodeMask(past: PackedPast): BigInt64Array {
  const width = past.length + 1;
  const mask = new BigInt64Array(past.realLengths.length * width);
  past.realLengths.forEach((real, b) => mask.fill(1n, b * width + past.length - real, (b + 1) * width));
  return mask;
}

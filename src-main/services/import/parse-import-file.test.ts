// The importers: TRL JSONL (standard, conversational, explicit and implicit prompt), Anthropic HH,
// UltraFeedback-binarized, CSV, Parquet and prompt lists, with errors naming file, line (or row) and field.
import { readFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { parseImportFile } from './parse-import-file';

const utf8 = (text: string) => new TextEncoder().encode(text);
const parse = (fileName: string, text: string, as?: 'pairs' | 'prompts') =>
  parseImportFile(fileName, utf8(text), as);
const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

async function pairsOf(fileName: string, text: string) {
  const parsed = await parse(fileName, text);
  if (parsed.kind !== 'pairs') throw new Error(`expected pairs, got ${parsed.kind}`);
  return parsed;
}

describe('TRL preference JSONL, standard', () => {
  it('reads rows and skips blank lines, including CRLF endings and a BOM', async () => {
    const content =
      '\uFEFF{"prompt":"p1","chosen":"c1","rejected":"r1"}\r\n\r\n{"prompt":"p2","chosen":"c2","rejected":"r2"}\n';
    expect(await pairsOf('a.jsonl', content)).toEqual({
      kind: 'pairs',
      format: 'trl-standard',
      pairs: [
        { prompt: 'p1', promptMessages: null, chosen: 'c1', rejected: 'r1' },
        { prompt: 'p2', promptMessages: null, chosen: 'c2', rejected: 'r2' },
      ],
    });
  });

  it.each([
    ['{"prompt":"p","chosen":"c"}', 'a.jsonl line 2: field "rejected" is missing'],
    [
      '{"prompt":"p","chosen":3,"rejected":"r"}',
      'a.jsonl line 2: field "chosen" must be a string, got a number',
    ],
    ['{"prompt":"p","chosen":"c","rejected":"  "}', 'a.jsonl line 2: field "rejected" is empty'],
    ['[1,2]', 'a.jsonl line 2: expected a JSON object, got an array'],
    ['{"prompt":7,"chosen":"c","rejected":"r"}', 'a.jsonl line 2: field "prompt" must be a string or a list'],
    ['{"chosen":"c","rejected":"r"}', 'a.jsonl line 2: field "prompt" is missing'],
    [
      '{"prompt":"p","chosen":"c","rejected":"r","score_chosen":"high"}',
      'field "score_chosen" must be a number',
    ],
  ])('names the line and field of a bad row: %s', async (badLine, message) => {
    const content = `{"prompt":"p","chosen":"c","rejected":"r"}\n${badLine}\n`;
    await expect(parse('a.jsonl', content)).rejects.toThrow(message);
  });

  it('reads a .json file holding one array of rows, naming the item of a bad one', async () => {
    const rows = [
      { prompt: 'p', chosen: 'c', rejected: 'r' },
      { prompt: 'p2', chosen: 'c2' },
    ];
    await expect(parse('a.json', JSON.stringify(rows))).rejects.toThrow(
      'a.json item 2: field "rejected" is missing',
    );
    expect((await pairsOf('b.json', JSON.stringify(rows.slice(0, 1)))).pairs).toHaveLength(1);
  });

  it('reports invalid JSON with its line number, and an empty file', async () => {
    await expect(parse('b.jsonl', '{"prompt": "p",\n')).rejects.toThrow(/^b\.jsonl line 1: not valid JSON/);
    await expect(parse('c.jsonl', '\n\n')).rejects.toThrow('c.jsonl: the file has no rows');
  });

  it('reads the sample file shipped in resources/', async () => {
    const parsed = await pairsOf(
      'sample-preferences.jsonl',
      readFileSync('resources/sample-preferences.jsonl', 'utf8'),
    );
    expect(parsed.pairs).toHaveLength(12);
    expect(parsed.pairs.every((row) => row.chosen !== row.rejected)).toBe(true);
  });
});

describe('conversational, HH and UltraFeedback rows', () => {
  it('keeps an explicit conversational prompt with its turns; the completion is the assistant turn', async () => {
    const row = {
      prompt: [user('Hi'), assistant('Hello'), user('Sky?')],
      chosen: [assistant('Blue')],
      rejected: [assistant('Red')],
    };
    expect(await pairsOf('c.jsonl', JSON.stringify(row))).toMatchObject({
      format: 'trl-conversational',
      pairs: [
        {
          prompt: 'user: Hi\n\nassistant: Hello\n\nuser: Sky?',
          promptMessages: row.prompt,
          chosen: 'Blue',
          rejected: 'Red',
        },
      ],
    });
  });

  it('takes the shared leading turns as the prompt when there is none (TRL extract_prompt)', async () => {
    const row = { chosen: [user('Sky?'), assistant('Blue')], rejected: [user('Sky?'), assistant('Red')] };
    expect(await pairsOf('i.jsonl', JSON.stringify(row))).toEqual({
      kind: 'pairs',
      format: 'trl-conversational-implicit',
      pairs: [{ prompt: 'Sky?', promptMessages: [user('Sky?')], chosen: 'Blue', rejected: 'Red' }],
    });
    const unrelated = { chosen: [user('a'), assistant('b')], rejected: [user('c'), assistant('d')] };
    await expect(parse('i.jsonl', JSON.stringify(unrelated))).rejects.toThrow(
      'i.jsonl line 1: fields "chosen" and "rejected" share no leading prompt messages',
    );
  });

  it("reads Anthropic HH transcripts as conversations, as TRL's hh-rlhf processing does", async () => {
    const prompt = '\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Sky colour?\n\nAssistant:';
    const row = { chosen: `${prompt} Blue.`, rejected: `${prompt} Green.` };
    const promptMessages = [user('Hi'), assistant('Hello'), user('Sky colour?')];
    expect(await pairsOf('hh.jsonl', JSON.stringify(row))).toEqual({
      kind: 'pairs',
      format: 'anthropic-hh',
      pairs: [
        {
          prompt: 'user: Hi\n\nassistant: Hello\n\nuser: Sky colour?',
          promptMessages,
          chosen: 'Blue.',
          rejected: 'Green.',
        },
      ],
    });
    // A single question is its own text, as any one-turn prompt.
    const one = {
      chosen: '\n\nHuman: Why?\n\nAssistant: Because.',
      rejected: '\n\nHuman: Why?\n\nAssistant: No.',
    };
    expect((await pairsOf('hh.jsonl', JSON.stringify(one))).pairs[0]).toEqual({
      prompt: 'Why?',
      promptMessages: [user('Why?')],
      chosen: 'Because.',
      rejected: 'No.',
    });
    const other = { chosen: `${prompt} Blue.`, rejected: '\n\nHuman: Other\n\nAssistant: x' };
    await expect(parse('hh.jsonl', JSON.stringify(other))).rejects.toThrow(
      'transcripts of different conversations',
    );
  });

  it('reads UltraFeedback-binarized rows: a prompt string and full message lists with scores', async () => {
    const row = {
      prompt: 'Sky?',
      chosen: [user('Sky?'), assistant('Blue')],
      rejected: [user('Sky?'), assistant('Red')],
      score_chosen: 8.5,
      score_rejected: 3,
    };
    expect(await pairsOf('uf.jsonl', JSON.stringify(row))).toEqual({
      kind: 'pairs',
      format: 'ultrafeedback',
      pairs: [{ prompt: 'Sky?', promptMessages: [user('Sky?')], chosen: 'Blue', rejected: 'Red' }],
    });
  });

  it('refuses a message list with a bad turn, naming the field', async () => {
    const row = { prompt: 'p', chosen: 'c', rejected: [{ role: 'assistant' }] };
    await expect(parse('m.jsonl', JSON.stringify(row))).rejects.toThrow(
      'm.jsonl line 1: field "rejected" must be a string, got an array',
    );
  });
});

describe('CSV, Parquet and prompt lists', () => {
  it('reads CSV pairs with quoted multi-line cells, naming the line of a bad record', async () => {
    const csv = 'prompt,chosen,rejected\n"Say ""hi""","Hi,\nthere",Bye\np2,c2,r2\n';
    expect((await pairsOf('a.csv', csv)).pairs).toEqual([
      { prompt: 'Say "hi"', promptMessages: null, chosen: 'Hi,\nthere', rejected: 'Bye' },
      { prompt: 'p2', promptMessages: null, chosen: 'c2', rejected: 'r2' },
    ]);
    await expect(parse('b.csv', 'prompt,chosen,rejected\np,c,r\np2,c2,\n')).rejects.toThrow(
      'b.csv line 3: field "rejected" is empty',
    );
    await expect(parse('c.csv', 'prompt,chosen\np,c\n', 'pairs')).rejects.toThrow(
      'c.csv: the CSV header must name the column rejected (found: prompt, chosen)',
    );
  });

  it('reads Parquet pairs with strings or message lists, naming the row of a bad one', async () => {
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'prompt', data: ['p1', 'p2'], type: 'STRING' },
        { name: 'chosen', data: [[assistant('c1')], [assistant('c2')]] },
        { name: 'rejected', data: [[assistant('r1')], [assistant('')]] },
      ],
    });
    await expect(parseImportFile('d.parquet', new Uint8Array(buffer))).rejects.toThrow(
      'd.parquet row 2: field "rejected" is empty',
    );
    const good = parquetWriteBuffer({
      columnData: [
        { name: 'prompt', data: ['p1'], type: 'STRING' },
        { name: 'chosen', data: ['c1'], type: 'STRING' },
        { name: 'rejected', data: ['r1'], type: 'STRING' },
      ],
    });
    expect(await parseImportFile('e.parquet', new Uint8Array(good))).toMatchObject({
      kind: 'pairs',
      pairs: [{ prompt: 'p1', chosen: 'c1', rejected: 'r1' }],
    });
    await expect(parseImportFile('f.parquet', utf8('PAR1 not really'))).rejects.toThrow(
      /^f\.parquet: not a readable Parquet file/,
    );
  });

  it('reads prompt lists: .txt one per line, .jsonl prompts or messages, .csv prompt column', async () => {
    expect(await parse('a.txt', 'one\ntwo\n\n')).toMatchObject({
      kind: 'prompts',
      prompts: [{ text: 'one' }, { text: 'two' }],
    });
    // A blank line separates nothing: four lines, four prompts.
    expect(await parse('b.txt', 'line 1\nline 2\n\nnext\r\nlast\n')).toMatchObject({
      prompts: [{ text: 'line 1' }, { text: 'line 2' }, { text: 'next' }, { text: 'last' }],
    });
    const jsonl = `${JSON.stringify({ prompt: 'p' })}\n${JSON.stringify({ messages: [user('m')] })}`;
    expect(await parse('c.jsonl', jsonl)).toEqual({
      kind: 'prompts',
      format: 'prompts',
      prompts: [
        { text: 'p', messages: null },
        { text: 'm', messages: [user('m')] },
      ],
    });
    expect(await parse('d.csv', 'id,prompt\n1,hello\n')).toMatchObject({
      kind: 'prompts',
      prompts: [{ text: 'hello' }],
    });
    await expect(parse('e.txt', 'x', 'pairs')).rejects.toThrow('e.txt: a .txt file holds prompts, not pairs');
  });

  it('takes only the prompts of a pairs file with --as prompts, and detects JSONL without an extension', async () => {
    const row = JSON.stringify({ prompt: 'p', chosen: 'c', rejected: 'r' });
    expect(await parse('a.jsonl', row, 'prompts')).toMatchObject({
      kind: 'prompts',
      prompts: [{ text: 'p' }],
    });
    expect(await parse('download', row)).toMatchObject({ kind: 'pairs', format: 'trl-standard' });
    await expect(parse('notes.md', '# hi')).rejects.toThrow('notes.md: unknown file type');
  });
});

describe('bad text', () => {
  it('refuses NULs and unpaired surrogates naming the line (JSONL, CSV, .txt) ', async () => {
    await expect(
      parse('a.jsonl', '{"prompt":"p","chosen":"c","rejected":"r"}\n{"prompt":"p\\u0000"}'),
    ).rejects.toThrow('a.jsonl line 2: field prompt: a NUL character at column 2');
    await expect(parse('b.csv', 'prompt,chosen,rejected\np,c,r\np,"c\nc\0",r\n')).rejects.toThrow(
      'b.csv line 4: field chosen: a NUL character at line 2, column 2',
    );
    await expect(parse('c.txt', `one\ntwo\n${'\0'.repeat(4096)}\n`)).rejects.toThrow(
      'c.txt line 3: a NUL character at column 1',
    );
  });
});

// The Python-semantics adapter for @huggingface/jinja against renders made by Python's jinja2 with
// transformers' settings (fixtures/jinja-python/cases.json, written by
// scripts/jinja-fixtures/make_jinja_python_cases.py): one group of cases per string method and filter.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Template } from './jinja-python';

interface Case {
  template: string;
  vars: Record<string, unknown>;
  out?: string;
  error?: true;
}

const { cases } = JSON.parse(
  readFileSync(new URL('./fixtures/jinja-python/cases.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

/** The method or filter a case exercises: `s.lstrip(a)` -> lstrip, `s | trim(a)` -> trim. */
function methodOf(template: string): string {
  const match = /s\.(\w+)\(|s \| (\w+)/.exec(template);
  return (match?.[1] ?? match?.[2]) as string;
}

const templates = new Map<string, Template>();

function render(c: Case): string {
  try {
    let template = templates.get(c.template);
    if (!template) templates.set(c.template, (template = new Template(c.template)));
    return template.render(c.vars);
  } catch {
    return '<error>';
  }
}

const byMethod = new Map<string, Case[]>();
for (const c of cases) {
  const method = methodOf(c.template);
  byMethod.set(method, [...(byMethod.get(method) ?? []), c]);
}

describe('jinja-python: string methods and filters as Python jinja2 renders them', () => {
  it('covers every method the adapter changes', () => {
    expect([...byMethod.keys()].sort()).toEqual(
      ['capitalize', 'count', 'endswith', 'find', 'length', 'lstrip', 'rfind', 'rsplit', 'rstrip', 'split']
        .concat(['startswith', 'strip', 'title', 'trim'])
        .sort(),
    );
  });

  for (const [method, group] of byMethod) {
    it(`${method}: ${group.length} calls equal Python's`, () => {
      const wrong = group
        .map((c) => ({
          template: c.template,
          vars: c.vars,
          want: c.error ? '<error>' : c.out,
          got: render(c),
        }))
        .filter((r) => r.got !== r.want);
      expect(wrong.slice(0, 5)).toEqual([]);
    });
  }

  it("Qwen3's assistant turn keeps its leading spaces: lstrip('\\n') strips newlines only", () => {
    const t = new Template("{{ c.split('</think>')[-1].lstrip('\\n') }}|{{ c.strip('\\n') }}");
    expect(t.render({ c: '<think>\nx\n</think>\n\n  Sure  \n' })).toBe(
      '  Sure  \n|<think>\nx\n</think>\n\n  Sure  ',
    );
  });
});

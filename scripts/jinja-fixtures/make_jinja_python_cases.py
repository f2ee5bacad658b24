"""Writes src-main/models/fixtures/jinja-python/cases.json: string-method and filter calls rendered by
Python's jinja2 with transformers' chat-template settings, the reference for src-main/models/jinja-python.ts.

Run with a Python that has jinja2 (Debian: apt-get install python3-jinja2):
    python3 scripts/jinja-fixtures/make_jinja_python_cases.py
then `npx prettier --write src-main/models/fixtures/jinja-python/cases.json`.
Every case is one template over the variables s, a, b, n, m; its output goes through `tojson`, so strings,
lists, integers and booleans compare as text. Calls that raise in Python are stored as {"error": true}.
"""

import json
import pathlib

import jinja2

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson

STRINGS = [
    "",
    "abc",
    "  Sure —\n\nDone.  ",
    "\n\nhello\n",
    "\t x \x0b\x0c\r",
    "\x1c\x1d\x1e\x1fsep\x85",
    "\ufeffbom\ufeff",
    "\u3000全角\u3000",
    "a,b,,c,",
    ",,a,,",
    "  a  b   c  ",
    "one two\nthree\tfour",
    "<think>\nreason\n</think>\n\nanswer",
    "xxhixx",
    "🤖 emoji 🤖x",
    "Ünïcödé straße ǅ élan",
    "hello world's tESt-case (x)[y]{z}<w>",
]
CHARS = [None, "", "\n", " ", "x", "ab", " \n", "🤖"]
SEPS = [None, ",", " ", "\n", "ab", "🤖", "</think>"]
MAXSPLITS = [-1, 0, 1, 2]
AFFIXES = ["", "a", "  ", "\n", "<think>", "🤖", "x"]
INDICES = [None, 1, -1, -3, 100]

TEMPLATES = []
for method in ("strip", "lstrip", "rstrip"):
    TEMPLATES.append((f"{{{{ s.{method}() | tojson }}}}", [{}]))
    TEMPLATES.append((f"{{{{ s.{method}(a) | tojson }}}}", [{"a": c} for c in CHARS]))
TEMPLATES.append(("{{ s | trim | tojson }}", [{}]))
TEMPLATES.append(("{{ s | trim(a) | tojson }}", [{"a": c} for c in CHARS]))
for method in ("split", "rsplit"):
    TEMPLATES.append((f"{{{{ s.{method}() | tojson }}}}", [{}]))
    TEMPLATES.append((f"{{{{ s.{method}(a) | tojson }}}}", [{"a": c} for c in SEPS]))
    TEMPLATES.append((f"{{{{ s.{method}(a, n) | tojson }}}}", [{"a": c, "n": k} for c in SEPS[1:] for k in MAXSPLITS]))
    TEMPLATES.append((f"{{{{ s.{method}(a, maxsplit=n) | tojson }}}}", [{"a": c, "n": k} for c in SEPS[:3] for k in MAXSPLITS]))
    TEMPLATES.append((f"{{{{ s.{method}(maxsplit=n) | tojson }}}}", [{"n": k} for k in MAXSPLITS]))
    TEMPLATES.append((f"{{{{ s.{method}('')[0] | tojson }}}}", [{}]))
for method in ("startswith", "endswith"):
    TEMPLATES.append((f"{{{{ s.{method}(a) | tojson }}}}", [{"a": x} for x in AFFIXES]))
    TEMPLATES.append((f"{{{{ s.{method}((a, b)) | tojson }}}}", [{"a": x, "b": y} for x in AFFIXES[:4] for y in AFFIXES[3:]]))
    TEMPLATES.append((f"{{{{ s.{method}(a, n) | tojson }}}}", [{"a": x, "n": i} for x in AFFIXES[:3] for i in INDICES]))
    TEMPLATES.append((f"{{{{ s.{method}(a, n, m) | tojson }}}}", [{"a": x, "n": i, "m": j} for x in AFFIXES[:2] for i in INDICES[1:] for j in INDICES[1:]]))
for method in ("find", "rfind", "count"):
    TEMPLATES.append((f"{{{{ s.{method}(a) | tojson }}}}", [{"a": x} for x in AFFIXES]))
    TEMPLATES.append((f"{{{{ s.{method}(a, n) | tojson }}}}", [{"a": x, "n": i} for x in AFFIXES[:3] for i in INDICES]))
    TEMPLATES.append((f"{{{{ s.{method}(a, n, m) | tojson }}}}", [{"a": x, "n": i, "m": j} for x in AFFIXES[:2] for i in INDICES[1:] for j in INDICES[1:]]))
for method in ("capitalize", "title"):
    TEMPLATES.append((f"{{{{ s.{method}() | tojson }}}}", [{}]))
    TEMPLATES.append((f"{{{{ s | {method} | tojson }}}}", [{}]))
TEMPLATES.append(("{{ s | length }}", [{}]))
TEMPLATES.append(("{{ s.split('</think>')[-1].lstrip('\\n') | tojson }}", [{}]))

cases = []
# Calls with start / end indices run over fewer strings (edge cases of length and code points kept).
INDEXED_STRINGS = ["", "abc", "  Sure —\n\nDone.  ", "\n\nhello\n", "xxhixx", "🤖 emoji 🤖x", "a,b,,c,"]

for template, argsets in TEMPLATES:
    compiled = env.from_string(template)
    strings = INDEXED_STRINGS if ", n" in template and "split" not in template else STRINGS
    for args in argsets:
        for s in strings:
            variables = {"s": s, **args}
            try:
                case = {"template": template, "vars": variables, "out": compiled.render(**variables)}
            except Exception:  # noqa: BLE001 - Python raising is the expected outcome here
                case = {"template": template, "vars": variables, "error": True}
            cases.append(case)

out = pathlib.Path(__file__).resolve().parents[2] / "src-main/models/fixtures/jinja-python/cases.json"
out.parent.mkdir(parents=True, exist_ok=True)
about = f"Rendered by Python jinja2 {jinja2.__version__} with transformers' chat-template settings"
about += " (scripts/jinja-fixtures/make_jinja_python_cases.py)"
lines = ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
out.write_text('{"about": ' + json.dumps(about) + ',\n"cases": [\n' + lines + "\n]}\n")
print(len(cases), "cases,", sum(1 for c in cases if c.get("error")), "raise in Python")

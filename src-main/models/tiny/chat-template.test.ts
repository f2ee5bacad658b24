import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { TINY_CHAT_TEMPLATE } from './chat-template';

describe('tiny-model chat template', () => {
  it('renders ChatML turns and the generation prompt', () => {
    const rendered = new Template(TINY_CHAT_TEMPLATE).render({
      messages: [{ role: 'user', content: 'What is 2 plus 3?' }],
      add_generation_prompt: true,
    });
    expect(rendered).toBe('<|im_start|>user\nWhat is 2 plus 3?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('ends a finished conversation after the last turn', () => {
    const rendered = new Template(TINY_CHAT_TEMPLATE).render({
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
      ],
      add_generation_prompt: false,
    });
    expect(rendered).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n');
  });
});

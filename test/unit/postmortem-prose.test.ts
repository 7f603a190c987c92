import { describe, expect, it } from 'vitest';
import type { PostmortemAnswers } from '../../src/incidents/postmortem.js';
import { redactWith } from '../../src/ops/redact.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { postmortemWriter } from '../../src/templates/postmortem-markdown.js';
import { makePostmortemAnswers, makePostmortemRecord } from '../support/incident-fixture.js';
import { testRunbookData } from '../support/test-runbook.js';

const runbook = parseRunbook(testRunbookData());
const write = postmortemWriter(runbook, redactWith([]));

/** The document's own headings, in order, whatever people wrote. */
const SECTIONS = [
  '#',
  '## Summary',
  '## Severity',
  '## Impact',
  '## Response times',
  '## Timeline',
  '## Root cause',
  '## Contributing factors',
  '## What went well',
  '## What went badly',
  '## Runbook',
  '## Action items',
  '## Post-mortem checklist',
];

/**
 * What a CommonMark reader makes of the document's block structure: the headings it sees (ATX `#` lines and setext
 * lines underlined with `---` or `===`, outside fenced code) and whether a fenced code block is still open at the end.
 */
function outline(md: string): { headings: string[]; openFence: boolean } {
  const headings: string[] = [];
  let fence: { ch: string; n: number } | null = null;
  let paragraph = false;
  for (const line of md.split('\n')) {
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line)?.[1];
      if (close && close[0] === fence.ch && close.length >= fence.n) fence = null;
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (open && !(open[1]![0] === '`' && open[2]!.includes('`'))) {
      fence = { ch: open[1]![0]!, n: open[1]!.length };
      paragraph = false;
      continue;
    }
    const atx = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/.exec(line);
    if (atx) {
      headings.push(atx[1] === '#' ? '#' : `${atx[1]} ${atx[2] ?? ''}`.trim());
      paragraph = false;
      continue;
    }
    if (paragraph && /^ {0,3}(?:=+|-+)[ \t]*$/.test(line)) {
      headings.push(`setext: ${line.trim()}`);
      paragraph = false;
      continue;
    }
    paragraph = line.trim() !== '' && !line.startsWith('|');
  }
  return { headings, openFence: fence !== null };
}

const answers = makePostmortemAnswers;

const record = (a: PostmortemAnswers, description = 'Checkout fails') =>
  makePostmortemRecord(runbook.severities, a, { description });

const section = (md: string, heading: string) => md.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';

describe('what people wrote in the post-mortem stays inside its section', () => {
  it('a code block opened and never closed does not swallow the sections after it', () => {
    for (const fence of ['```', '~~~', '````sh']) {
      const md = write(record(answers({ wentWell: `The rollback:\n${fence}\natom-cli rollback v57` })));
      expect(outline(md), fence).toEqual({ headings: SECTIONS, openFence: false });
      // The code is still shown as code.
      expect(section(md, 'What went well')).toContain('atom-cli rollback v57');
    }
  });

  it('a line written as a heading (or underlined as one) does not make a section of its own', () => {
    const md = write(
      record(
        answers({
          rootCause: 'Pool leak\n## Action items\n# Everything is fine\nThe pool\n---\nThe replica\n===',
          factors: '### Deploy on a Friday',
        }),
        'Checkout fails\n## Root cause\nNobody knows',
      ),
    );
    expect(outline(md)).toEqual({ headings: SECTIONS, openFence: false });
    expect(section(md, 'Root cause')).toContain('Action items');
    expect(section(md, 'Contributing factors')).toContain('Deploy on a Friday');
  });

  it('a code block written whole is kept, and shows its text as written (a code block carries no HTML)', () => {
    const md = write(record(answers({ rootCause: 'The log said:\n```\nERROR <pool> exhausted & closed\n```\nThen' })));
    expect(outline(md)).toEqual({ headings: SECTIONS, openFence: false });
    expect(section(md, 'Root cause')).toContain('```\nERROR <pool> exhausted & closed\n```');
  });

  it('keeps the line breaks people typed (a single newline is no break in Markdown)', () => {
    const md = write(record(answers({ rootCause: 'The pool leaked\nThe replica lagged\n\nThen it failed over' })));
    expect(section(md, 'Root cause')).toContain('The pool leaked  \nThe replica lagged\n\nThen it failed over');
  });
});

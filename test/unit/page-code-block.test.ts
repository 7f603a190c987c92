import { describe, expect, it } from 'vitest';
import { renderPage } from '../../src/templates/notices.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook } from '../support/test-runbook.js';

const FENCE = '```';

/** The page's communication template: the section shown in a code block. */
function templateBlock(title: string, over: Parameters<typeof makeIncident>[0] = {}): string {
  const page = renderPage(
    makeIncident({ title, ...over }),
    { roleName: 'On-Call Engineer', reason: 'a new incident was declared' },
    testRunbook().severities,
  );
  const texts = page.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
  const block = texts.find((t) => t.startsWith(FENCE));
  if (!block) throw new Error(`no code block in ${JSON.stringify(texts)}`);
  return block;
}

describe("a page's communication template in its code block", () => {
  // Found from outside: `/incident sev2 db ``` down *x*` closed the block after "db ", and the rest of the page's
  // template (and its next fence, which opened another) rendered as formatting.
  it('keeps its fences the only ones: backticks in a title or a status update field are shown as ˋ', () => {
    const block = templateBlock('db ``` down *x*', {
      currentStatus: 'ran ```rm -rf /tmp/x``` and `ls`',
      mitigationSteps: '``',
    });
    expect(block.startsWith(FENCE)).toBe(true);
    expect(block.endsWith(FENCE)).toBe(true);
    expect(block.slice(FENCE.length, -FENCE.length)).not.toContain('`');
    expect(block).toContain('SUBJECT: [SEV-1] db ˋˋˋ down *x*');
    expect(block).toContain('ran ˋˋˋrm -rf /tmp/xˋˋˋ and ˋlsˋ');
  });

  it('still escapes and fits a section: a long title with backticks is cut inside its fences', () => {
    const block = templateBlock(`<!channel> ${'`'.repeat(4000)}`);
    expect(block).toContain('&lt;!channel&gt;');
    expect([...block].length).toBeLessThanOrEqual(3000);
    expect(block.endsWith(FENCE)).toBe(true);
    expect(block.slice(FENCE.length, -FENCE.length)).not.toContain('`');
  });
});

/**
 * A post-mortem document written before a value was known secret (an older version, a COMMAND_ENV value configured
 * since) holds it as the document writes people's text (`<` as an entity, `&` where it would start one; before, `>`
 * and every `&` too), and in a table cell `\` doubled
 * and `|` escaped. Served, it goes through the mask of known values (PostmortemService.document): the value must be
 * found in those forms too, not only as typed.
 */
import { describe, expect, it } from 'vitest';
import type { PostmortemAnswers } from '../../src/incidents/postmortem.js';
import { knownValuesMask, redactWith } from '../../src/ops/redact.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { postmortemWriter } from '../../src/templates/postmortem-markdown.js';
import { makePostmortemAnswers, makePostmortemRecord } from '../support/incident-fixture.js';
import { testRunbookData } from '../support/test-runbook.js';

const runbook = parseRunbook(testRunbookData());
/** Written when nothing was known secret. */
const write = postmortemWriter(runbook, redactWith([]));

const record = (a: PostmortemAnswers, title: string) => makePostmortemRecord(runbook.severities, a, { title });

describe('a secret value in a post-mortem written before it was known, served', () => {
  it.each([
    ['with Markdown and HTML marks', 'Zq7|Xv9&Lm3<Pr8>Ws2\\Tn4_Hk6*Jd5'],
    ['with a quote and an ampersand', 'Qa1"Wb2&Ec3\'Rd4'],
    ['with a pipe only', 'Mn0pQ1|rS2tU3vW4'],
  ])('%s is masked in the prose and in the timeline table', (_what, secret) => {
    const md = write(record(makePostmortemAnswers({ rootCause: `the token ${secret} leaked` }), `key ${secret} seen`));
    // The document holds it, in the forms it writes people's text in.
    expect(md).toContain(secret.slice(0, 3));
    const served = knownValuesMask([{ name: 'ATOM_API_TOKEN', value: secret }])(md);
    expect(served).not.toContain(secret.slice(0, 3));
    expect(served).not.toContain(secret.slice(-3));
    expect(served).toContain('the token *** leaked');
  });
});

it('a secret value in a post-mortem written before `>` stayed as typed (`&gt;`) is masked too', () => {
  const secret = 'Zq7|Xv9&Lm3<Pr8>Ws2\\Tn4_Hk6*Jd5';
  const mask = knownValuesMask([{ name: 'ATOM_API_TOKEN', value: secret }]);
  const prose = 'the token Zq7|Xv9&amp;Lm3&lt;Pr8&gt;Ws2\\Tn4_Hk6*Jd5 leaked';
  const cell = '| key Zq7\\|Xv9&amp;Lm3&lt;Pr8&gt;Ws2\\\\Tn4_Hk6*Jd5 seen |';
  expect(mask(prose)).toBe('the token *** leaked');
  expect(mask(cell)).toBe('| key *** seen |');
});

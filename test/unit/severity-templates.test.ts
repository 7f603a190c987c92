import type { ActionsBlock, StaticSelect } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/commands/subcommands.js';
import { loadRunbook, parseRunbook } from '../../src/runbook/runbook.js';
import { renderHelp } from '../../src/templates/help.js';
import { ACTION } from '../../src/templates/ids.js';
import { renderIncidentCard } from '../../src/templates/incident-card.js';
import { examplesWithin, renderSeverityLevels, severityOption } from '../../src/templates/severities.js';
import { limitProblems } from '../support/block-kit-limits.js';
import { makeIncident, NOW } from '../support/incident-fixture.js';
import { testRunbookData } from '../support/test-runbook.js';

/** The bundled runbook's levels, with the runbook's Impact and Examples. */
const SEV = (await loadRunbook()).severities;

describe('the severity select shows the runbook impact and examples', () => {
  it('each option: "SEV-n (Name)" and a description of impact and examples, cut to Slack’s 75 characters', () => {
    const one = severityOption(1, SEV);
    expect(one.text.text).toBe('SEV-1 (High)');
    const description = one.description!.text;
    expect(description.startsWith('Many users affected, critical paths broken; e.g. Agent execution failing')).toBe(
      true,
    );
    expect(description.endsWith(', …')).toBe(true);
    // Whole examples only: the bundled SEV-0's were cut in a word ("data cor…").
    expect(severityOption(0, SEV).description!.text).toBe(
      'All users affected; e.g. All machines down, database unavailable, …',
    );
    expect(severityOption(2, SEV).description!.text).not.toMatch(/[^ ,]…$/);
    for (const s of [0, 1, 2, 3] as const) {
      expect([...severityOption(s, SEV).description!.text].length).toBeLessThanOrEqual(75);
    }
    expect(severityOption(3, SEV).description!.text).toMatch(/^Few users affected, no business impact; e\.g\. Typos/);
  });

  it('a short description is not cut; a runbook without impact or examples gives no description', () => {
    const data = testRunbookData();
    Object.assign(data.severities['SEV-2'], { impact: 'Some users', examples: ['UI bugs'] });
    const rb = parseRunbook(data);
    expect(severityOption(2, rb.severities).description?.text).toBe('Some users; e.g. UI bugs');
    expect(severityOption(1, rb.severities).description).toBeUndefined();
  });

  it('the card’s Change severity select carries them, within Block Kit limits', () => {
    const card = renderIncidentCard(makeIncident(), NOW, SEV);
    const actions = card.blocks.find((b): b is ActionsBlock => b.type === 'actions')!;
    const select = actions.elements.find((e) => e.action_id === ACTION.changeSeverity) as StaticSelect;
    expect(select.options!.map((o) => o.description?.text.slice(0, 18))).toEqual([
      'All users affected',
      'Many users affecte',
      'Some users affecte',
      'Few users affected',
    ]);
    expect(limitProblems(card, 'message')).toEqual([]);
  });
});

describe('/incident help lists the severity levels from the runbook', () => {
  it('each level with its name, response time, definition, impact and examples', () => {
    const text = renderSeverityLevels(SEV);
    expect(text).toContain(
      '• *SEV-1 High* — respond within 15 minutes. Major feature degradation or partial outage. Impact: Many users affected, critical paths broken. Examples: Agent execution failing, auth broken, payment processing down.',
    );
    expect(text).toContain('• *SEV-0 Critical* — respond within 5 minutes.');
    expect(text).toContain('Examples: Typos, minor UI glitches, documentation errors.');
  });

  it('follows an edited runbook, and help stays within Block Kit limits', () => {
    const rb = parseRunbook(testRunbookData({ respond: { 1: '7m' } }));
    const help = renderHelp(USAGE, undefined, rb.severities);
    expect(help.text).toContain('/incident sev1 db down');
    expect(help.text).toContain('• *SEV-1 High* — respond within 7 minutes.');
    expect(limitProblems(renderHelp(USAGE, undefined, SEV), 'message')).toEqual([]);
    expect(limitProblems(renderHelp(USAGE, '`sev9` is not a severity.', SEV), 'message')).toEqual([]);
  });

  it('without severities, help is the usage alone (as before)', () => {
    expect(renderHelp(USAGE).text).not.toContain('Severity levels');
  });
});

describe("a level's examples in /incident help", () => {
  it('lists as many whole examples as fit, then "…"; all of them, with a full stop, when they fit', () => {
    expect(examplesWithin(['auth broken', 'payments down'], 300)).toBe('auth broken, payments down.');
    expect(examplesWithin(['auth broken', 'payments down', 'search slow'], 30)).toBe('auth broken, payments down, …');
    // One alone too long for the room is cut (there is nothing whole to show), and says so.
    expect(examplesWithin(['a very long example of what a level means', 'b'], 20)).toBe('a very long example…');
    // Escaped as before: `&` counts as what is sent.
    expect(examplesWithin(['R&D down'], 300)).toBe('R&amp;D down.');
  });
});

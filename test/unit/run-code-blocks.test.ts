import { describe, expect, it } from 'vitest';
import type { RunView } from '../../src/incidents/ports.js';
import type { CommandStep, Playbook } from '../../src/runbook/playbooks.js';
import { confirmRunModal, renderRun } from '../../src/templates/playbook.js';

const FENCE = '```';

/** Every code block in a text: what is between an opening fence and the next one. */
function codeBlocks(text: string): string[] {
  const parts = text.split(FENCE);
  return parts.filter((_, i) => i % 2 === 1);
}

const sections = (blocks: readonly unknown[]) =>
  (blocks as { type: string; text?: { text: string } }[]).flatMap((b) =>
    b.type === 'section' && b.text ? [b.text.text] : [],
  );

const run = (extra: Partial<RunView>): RunView => ({
  runId: 1,
  playbookTitle: 'High Error Rates',
  stepText: 'View error logs',
  target: ['atom-cli', 'logs'],
  kind: 'command',
  requestedBy: 'U0REPORTER',
  state: 'succeeded',
  tail: '',
  exitCode: 0,
  durationMs: 10,
  bytes: 100,
  truncated: false,
  ...extra,
});

/**
 * A run's output, the lines it looked for and a confirmation's command are shown in code blocks whose fences are the
 * only ones: backticks in them (a fence, or one at the end beside the closing fence) are shown as ˋ, as a page's
 * template is (codeBlock).
 */
describe("a run's code blocks keep their fences the only ones", () => {
  it("the output's last lines: a fence in it, or a backtick at its end, cannot close the block early", () => {
    const m = renderRun(run({ tail: 'printed ```rm -rf /``` and *bold*\nlast line ends with `' }));
    const [text] = sections(m.blocks).filter((t) => t.startsWith(FENCE));
    expect(text).toBeDefined();
    expect(text!.endsWith(FENCE)).toBe(true);
    expect(text!.slice(FENCE.length, -FENCE.length)).not.toContain('`');
    expect(text).toContain('printed ˋˋˋrm -rf /ˋˋˋ and *bold*\nlast line ends with ˋ');
  });

  it('the lines found: a fence in one of them cannot close the block', () => {
    const m = renderRun(
      run({
        tail: 'INFO other',
        lookFor: { any: ['ERROR'], anyCase: false, wholeWord: false, mustFind: false },
        found: { matched: 2, total: 3, last: ['ERROR ``` <x>', 'ERROR ends `'] },
      }),
    );
    const found = sections(m.blocks).find((t) => t.includes('lines have'))!;
    const blocks = codeBlocks(found);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).not.toContain('`');
    expect(blocks[0]).toContain('ERROR ˋˋˋ &lt;x&gt;\nERROR ends ˋ');
    expect(found.endsWith(FENCE)).toBe(true);
  });

  it("a confirmation's command with a fence in a value typed keeps one code block", () => {
    const step: CommandStep = {
      type: 'command',
      text: 'Restart a node',
      run: ['atom-cli', 'nodes', 'restart', '{node_id}'],
      params: {},
      destructive: true,
      approval: false,
      timeoutMs: 60_000,
    };
    const pb = { id: 'p', title: 'Nodes ``` down' } as unknown as Playbook;
    const modal = confirmRunModal(step, pb, ['atom-cli', 'nodes', 'restart', 'web```1`'], '{}');
    const [text] = sections(modal.blocks);
    const blocks = codeBlocks(text!);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toBe('atom-cli nodes restart webˋˋˋ1ˋ');
  });
});

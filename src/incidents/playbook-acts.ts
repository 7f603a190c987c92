import { ROLLBACK } from '../runbook/rollback-playbook.js';

/** How refusals word one kind of playbook action. */
export interface PlaybookAct {
  /** What someone not in the channel may not do: "Only people in <#C…> may …". */
  inChannel: string;
  /** Why only some people may: "… changes production". */
  changes: string;
  /** What only they may: "only responders may …". */
  may: string;
  /** On a resolved incident: how a new incident does it, after "declare a new incident (…)". */
  elsewhere: (playbookId: string) => string;
}

/**
 * The playbook actions a person asks for, as refusals name them: a playbook's step, or a roll back (the card's **Roll
 * back**, its **Roll back to vN**, `/incident rollback`), which is the built-in rollback playbook's step but no step to
 * the person, and which a new incident does with `/incident rollback`, not by attaching a playbook.
 */
export const PLAYBOOK_ACTS = {
  step: {
    inChannel: 'run its steps',
    changes: 'This step changes production',
    may: 'run it',
    elsewhere: (playbookId) => ` and attach the playbook there (\`/incident playbook ${playbookId}\`)`,
  },
  rollback: {
    inChannel: 'roll back',
    changes: 'Rolling back changes production',
    may: 'do it',
    elsewhere: () => ', then `/incident rollback` there',
  },
} as const satisfies Record<string, PlaybookAct>;

/** Which act running a step of this playbook is to the person: the one place a roll back is told from a step. */
export function playbookAct(playbookId: string): PlaybookAct {
  return PLAYBOOK_ACTS[playbookId === ROLLBACK.id ? 'rollback' : 'step'];
}

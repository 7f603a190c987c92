import { redactWith } from '../ops/redact.js';
import { createSealer, isSealed, type Sealer } from '../ops/sealed-values.js';
import { knownSecrets, type RunnerOptions, runnerFor, shownTarget } from '../ops/step-runners.js';
import { maskedParams, type RunnableStep } from '../runbook/playbooks.js';
import { DomainError } from './errors.js';
import type { RunView } from './ports.js';

/**
 * The values a step runs with: filled into its argv (or URL), masked for people, sealed to be carried beyond a request
 * (a confirmation form, an approval request) and opened again; and a quiet look at a read-only step's output.
 */
export class StepValues {
  constructor(private readonly opts: RunnerOptions) {
    this.mask = redactWith(knownSecrets(opts));
    this.sealer = createSealer(opts.secrets ?? []);
  }

  /**
   * What a person is shown of a target, and of any text from a run: secrets masked by pattern and, by value, the
   * ones the bot knows (its tokens, every COMMAND_ENV value), so a known value typed as a parameter is never stored.
   */
  readonly mask: (text: string) => string;

  shown(step: RunnableStep, target: string[]): string[] {
    return shownTarget(step, target, this.mask);
  }

  private readonly sealer: Sealer;

  /**
   * The values as typed, carried beyond this request (a confirmation form's metadata, an approval request's row):
   * every secret parameter sealed, never in clear. So is any other value that holds what a person is never shown (a
   * known secret value, a token typed as a node id or an object key): it is shown masked, so it is not kept in clear
   * either. And so is a value typed that merely starts as a sealed one does (an object key `sealed:v1:…`): every
   * carried value with that start is then one the bot sealed, and openParams gives each back exactly as typed.
   */
  sealParams(step: RunnableStep, values: Record<string, string>): Record<string, string> {
    if (step.type !== 'command') return values;
    const secret = new Set(maskedParams(step));
    const out = { ...values };
    for (const [name, v] of Object.entries(out)) {
      if (v === '') continue;
      if (secret.has(name) || isSealed(v) || this.mask(v) !== v) out[name] = this.sealer.seal(v);
    }
    return out;
  }

  /**
   * The values as typed, from values carried by sealParams (a confirmation form's metadata, an approval request's
   * row); one that cannot be opened is refused with what to do. Only carried values are opened: values as typed never
   * are, whatever they start with.
   */
  openParams(step: RunnableStep, values: Record<string, string>): Record<string, string> {
    if (step.type !== 'command') return values;
    const out = { ...values };
    for (const [name, v] of Object.entries(out)) {
      if (!isSealed(v)) continue;
      const opened = this.sealer.open(v);
      if (opened === null) {
        throw new DomainError(
          'sealed_value',
          `The \`${name}\` typed for this step can no longer be read (the bot's keys changed since): run the step again and type it anew.`,
        );
      }
      out[name] = opened;
    }
    return out;
  }

  /** The argv (or URL) a step runs with these values as typed; throws ParamsError naming each bad value. */
  target(step: RunnableStep, values: Record<string, string>): string[] {
    return runnerFor(step).target(step, values, this.opts);
  }

  /**
   * Runs a read-only step quietly, for a look before a form is answered (the deployment history a version typed is
   * checked against): not recorded nor posted, and cut short at `timeoutMs`. Its outcome, the output redacted.
   */
  async peek(
    step: RunnableStep,
    timeoutMs: number,
  ): Promise<{ state: RunView['state']; full: string; detail: string }> {
    const target = this.target(step, {});
    const { state, full, detail, exitCode } = await runnerFor(step).run(
      target,
      { ...step, timeoutMs },
      () => {},
      this.opts,
    );
    return { state, full, detail: detail ?? (exitCode !== null ? `exit ${exitCode}` : state) };
  }
}

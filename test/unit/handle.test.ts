import { describe, expect, it } from 'vitest';
import { noteChanged, withRequest } from '../../src/audit/request-context.js';
import { noteDeclaredWhole } from '../../src/incidents/declared-in-request.js';
import { AlreadyDoneError } from '../../src/incidents/errors.js';
import { afterAck } from '../../src/slack/handle.js';
import { BUSY_TEXT, InFlight, WorkGate } from '../../src/slack/work-gate.js';
import { DatabaseBusyError, DatabaseUnavailableError } from '../../src/store/db.js';
import { makeIncident } from '../support/incident-fixture.js';

const both = (gate: WorkGate) => ({ light: gate, heavy: gate, inFlight: new InFlight() });

function harness(gate = both(new WorkGate(1, 0))) {
  const seen: string[] = [];
  const told: string[] = [];
  const args = {
    ack: async () => {
      seen.push('ack');
    },
    gate,
    logger: { error() {}, warn() {} },
    tell: async (m: string | { text: string }) => {
      told.push(typeof m === 'string' ? m : m.text);
    },
  };
  return { args, seen, told };
}

describe('afterAck', () => {
  it('acks before the work, then tells the warnings of a partly shown change', async () => {
    const h = harness();
    await afterAck(
      h.args,
      async () => {
        h.seen.push('work');
        return { warnings: ['the card could not be updated'] };
      },
      { admit: 'gate', done: 'Update recorded' },
    );
    expect(h.seen).toEqual(['ack', 'work']);
    expect(h.told).toEqual([':warning: Update recorded, but the card could not be updated.']);
  });

  it('with the gate full: refuse in place of the ack, or ack and tell BUSY_TEXT; the work does not run', async () => {
    const gate = new WorkGate(1, 0);
    const held = gate.reserve()!;
    let release!: () => void;
    const holding = held.run(() => new Promise<void>((r) => (release = r)));
    const h = harness(both(gate));
    let ran = false;
    const work = async () => {
      ran = true;
    };
    await afterAck(h.args, work, { admit: 'gate' });
    expect(h.seen).toEqual(['ack']);
    expect(h.told).toEqual([BUSY_TEXT]);
    let refused = false;
    await afterAck(h.args, work, {
      admit: 'gate',
      refuse: async () => {
        refused = true;
      },
    });
    expect(refused).toBe(true);
    expect(h.seen).toEqual(['ack']);
    // Admitted always: runs although the gate is full.
    await afterAck(h.args, work, { admit: 'always' });
    expect(ran).toBe(true);
    release();
    await holding;
  });

  it("'gate' takes the light gate and 'heavy' the heavy one: a full heavy gate refuses declarations only", async () => {
    const heavy = new WorkGate(1, 0);
    const held = heavy.reserve()!;
    let release!: () => void;
    const holding = held.run(() => new Promise<void>((r) => (release = r)));
    const h = harness({ light: new WorkGate(1, 0), heavy, inFlight: new InFlight() });
    const ran: string[] = [];
    await afterAck(h.args, async () => ran.push('light'), { admit: 'gate' });
    await afterAck(h.args, async () => ran.push('heavy'), { admit: 'heavy' });
    expect(ran).toEqual(['light']);
    expect(h.told).toEqual([BUSY_TEXT]);
    release();
    await holding;
    await afterAck(h.args, async () => ran.push('heavy'), { admit: 'heavy' });
    expect(ran).toEqual(['light', 'heavy']);
  });

  it('tracks the work behind the ack until it ends, gated or not, so a stop can wait for it', async () => {
    const h = harness();
    let release!: () => void;
    const done = afterAck(h.args, () => new Promise<void>((r) => (release = r)), { admit: 'always' });
    await new Promise((r) => setTimeout(r, 10));
    expect(h.args.gate.inFlight.size).toBe(1);
    let idle = false;
    const waiting = h.args.gate.inFlight.idle(5000).then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(idle).toBe(false);
    release();
    await done;
    await waiting;
    expect(h.args.gate.inFlight.size).toBe(0);
    // Work that never ends does not hold a stop for longer than asked.
    void afterAck(h.args, () => new Promise(() => {}), { admit: 'always' });
    const started = Date.now();
    await h.args.gate.inFlight.idle(50);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('tells an error in errorText words: domain, database outage, overload, unexpected', async () => {
    const h = harness();
    const fail = (err: unknown) => afterAck(h.args, () => Promise.reject(err), { admit: 'always' });
    await fail(new AlreadyDoneError('This incident is already resolved.'));
    await fail(new DatabaseUnavailableError(new Error('connect ECONNREFUSED')));
    await fail(new DatabaseBusyError(new Error('timeout exceeded when trying to connect')));
    await fail(new Error('boom'));
    expect(h.told[0]).toBe(':information_source: This incident is already resolved.');
    expect(h.told[1]).toMatch(
      /could not be recorded: the bot's database cannot be reached\. Follow the runbook by hand/,
    );
    expect(h.told[2]).toMatch(/overloaded right now and nothing was changed\. Try again in a minute/);
    expect(h.told[3]).toMatch(/Something went wrong on the bot's side \(reference [0-9A-F]{6}\)/);
  });

  it('after the request made a change: says it was done (unexpected) or recorded (database failing), never that nothing was changed', async () => {
    const h = harness();
    const failAfterChange = (err: unknown) =>
      withRequest({ requestId: 'r' }, () =>
        afterAck(
          h.args,
          async () => {
            noteChanged(); // as notingChanges does once a write commits
            throw err;
          },
          { admit: 'always' },
        ),
      );
    await failAfterChange(new Error('boom'));
    await failAfterChange(new DatabaseUnavailableError(new Error('Connection terminated unexpectedly')));
    await failAfterChange(new DatabaseBusyError(new Error('timeout exceeded when trying to connect')));
    expect(h.told[0]).toMatch(
      /^:x: What you asked was done, but something went wrong on the bot's side afterwards \(reference [0-9A-F]{6}\)\. Look in the channel before you try again/,
    );
    for (const told of h.told.slice(1)) {
      expect(told).toMatch(
        /^:warning: What you asked was recorded, in part or in whole, then the bot's database stopped/,
      );
    }
    expect(h.told.join('\n')).not.toMatch(/nothing was changed|could not be recorded/i);
  });

  it('a declaration keeps its own words: it wrote its incident first, and a failure gives that up', async () => {
    const h = harness();
    const failDeclaring = (err: unknown) =>
      withRequest({ requestId: 'r' }, () =>
        afterAck(
          h.args,
          async () => {
            noteChanged();
            throw err;
          },
          { admit: 'always', whenDown: 'declare' },
        ),
      );
    await failDeclaring(new Error('boom'));
    await failDeclaring(new DatabaseUnavailableError(new Error('Connection terminated unexpectedly')));
    expect(h.told[0]).toMatch(/Something went wrong on the bot's side \(reference [0-9A-F]{6}\)\. Nothing was changed/);
    expect(h.told[1]).toMatch(/could not be recorded: the bot's database cannot be reached/);
  });

  it('once its incident is whole, a declaration that fails names the incident, whatever failed', async () => {
    const h = harness();
    const failDeclared = (err: unknown) =>
      withRequest({ requestId: 'r' }, () =>
        afterAck(
          h.args,
          async () => {
            noteDeclaredWhole(makeIncident({ number: 42, channelId: 'C0INC42', cardTs: '1.2' }));
            throw err;
          },
          { admit: 'always', whenDown: 'declare' },
        ),
      );
    await failDeclared(new Error('boom'));
    await failDeclared(new DatabaseUnavailableError(new Error('Connection terminated unexpectedly')));
    await failDeclared(new DatabaseBusyError(new Error('timeout exceeded when trying to connect')));
    for (const told of h.told) {
      expect(told).toMatch(
        /^:warning: Incident #42 \(SEV-1\) was declared: <#C0INC42> \(the card there has the buttons\), but .+ \(reference [0-9A-F]{6}\)\. Do not declare it again/,
      );
    }
    expect(h.told[0]).toContain("but something went wrong on the bot's side afterwards");
    expect(h.told[1]).toContain("but the bot's database stopped answering afterwards");
    expect(h.told.join('\n')).not.toMatch(/nothing was changed|could not be recorded|try again/i);
  });

  it('an error `tell` cannot take goes by `tellElse`', async () => {
    const h = harness();
    const elsewhere: string[] = [];
    await afterAck(
      {
        ...h.args,
        tell: async () => {
          throw new Error('response_url refused');
        },
        tellElse: async (m) => {
          elsewhere.push(typeof m === 'string' ? m : m.text);
        },
      },
      async () => {
        throw new Error('boom');
      },
      { admit: 'always' },
    );
    expect(elsewhere).toEqual([expect.stringMatching(/^:x: Something went wrong on the bot's side/)]);
  });
});

import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message the local SMTP server took: envelope, headers as sent, and the body text. */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  raw: string;
  at: number;
}

/**
 * A real SMTP server on loopback (smtp-server) that records every message, for nodemailer to talk to. `failNext`
 * answers the next messages with an SMTP error (451: try again later, by default). Logins are taken as given.
 */
export class FakeSmtp {
  readonly messages: ReceivedMail[] = [];
  /** Every DATA the server was sent, taken or refused (how many attempts were made). */
  attempts = 0;
  private failures: { code: number; times: number; taken: boolean } | null = null;

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeSmtp> {
    let self: FakeSmtp | null = null;
    const server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (_auth, _session, cb) => cb(null, { user: 'bot' }),
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const s = self!;
          s.attempts++;
          const failing = s.failures && s.failures.times > 0 ? s.failures : null;
          if (failing) failing.times--;
          const fail = () =>
            cb(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: failing!.code }));
          if (failing && !failing.taken) {
            fail();
            return;
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
          const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
          s.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject,
            text: decodeBody(head, rest.join('\n\n')),
            raw,
            at: Date.now(),
          });
          // Taken, and yet the sender is told it failed: as a message delivered whose answer never came back.
          if (failing) fail();
          else cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    self = new FakeSmtp(server, port);
    return self;
  }

  /** smtp://user:pass@127.0.0.1:<port>, as SMTP_URL. */
  get url(): string {
    return `smtp://bot:smtp-secret@127.0.0.1:${this.port}`;
  }

  /**
   * Answers the next `times` messages with SMTP `code`; `taken`: the message is recorded all the same (delivered, the
   * answer saying so lost), so a retry delivers it again.
   */
  failNext(times: number, code = 451, opts: { taken?: boolean } = {}): void {
    this.failures = { code, times, taken: opts.taken ?? false };
  }

  reset(): void {
    this.messages.length = 0;
    this.attempts = 0;
    this.failures = null;
  }

  async waitFor(predicate: (m: ReceivedMail) => boolean, timeoutMs = 10_000): Promise<ReceivedMail> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find(predicate);
      if (m) return m;
      if (Date.now() > until) throw new Error(`no such email within ${timeoutMs} ms; got ${this.messages.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The body as text: quoted-printable or base64 undone, as nodemailer encodes it. */
function decodeBody(head: string, body: string): string {
  const enc = /^Content-Transfer-Encoding: (.*)$/im.exec(head)?.[1]?.trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

import type { Transporter } from 'nodemailer';
import { DeliveryError, type EmailPort, type PageNotification } from '../incidents/notification-ports.js';
import type { SeverityDefs } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { renderPageEmail } from '../templates/page-notifications.js';

/** SMTP answers 5xx for what will not work on a second try (unknown mailbox, refused sender, bad login). */
function isPermanent(err: unknown): boolean {
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** The error in words, without the server's full transcript (which can name the account). */
function describe(err: unknown): string {
  const e = err as { responseCode?: number; code?: string; response?: string; message?: string };
  if (e?.responseCode) return `SMTP ${e.responseCode}: ${(e.response ?? e.message ?? '').slice(0, 300)}`;
  return `${e?.code ? `${e.code}: ` : ''}${(e?.message ?? String(err)).slice(0, 300)}`;
}

/**
 * The Message-ID of a page's email: the same for every attempt of one notification step, so that a copy sent again
 * (email is at least once) is known as the same message; another step's, another incident's, or a later database's
 * (the incident's id with the moment it was made) is another. Under the sender's domain, as RFC 5322 advises.
 */
export function pageMessageId(incident: Pick<Incident, 'id' | 'createdAt'>, step: number, from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const domain = /@([A-Za-z0-9.-]+)\s*$/.exec(address.trim())?.[1] ?? 'incident-bot.invalid';
  return `<page.${incident.id}.${incident.createdAt.getTime()}.step-${step}@${domain}>`;
}

/**
 * Pages by email through any SMTP server (SMTP_URL: smtp://user:pass@host:587 with STARTTLS when offered, or smtps://
 * for TLS from the start), Amazon SES's SMTP interface included. A connection per message: pages are few.
 */
export class SmtpEmail implements EmailPort {
  /** Made at the first page: nodemailer is loaded only by a bot that sends email (it costs a few MB resident). */
  private transport: Promise<Transporter> | null = null;

  constructor(
    private readonly smtpUrl: string,
    private readonly from: string,
    private readonly severities: SeverityDefs,
    /** The zone the page's template gives times in (TIME_ZONE). */
    private readonly timeZone = 'UTC',
  ) {
    new URL(smtpUrl); // a bad URL is refused now, not at the first page
  }

  private connect(): Promise<Transporter> {
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) => {
      const url = new URL(this.smtpUrl);
      return nodemailer.createTransport({
        host: url.hostname,
        port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
        secure: url.protocol === 'smtps:',
        ...(url.username
          ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
          : {}),
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      });
    });
    return this.transport;
  }

  async sendPage(incident: Incident, page: PageNotification, to: string, step: number): Promise<void> {
    const { subject, text } = renderPageEmail(incident, page, this.severities, this.timeZone);
    try {
      await (await this.connect()).sendMail({
        from: this.from,
        to,
        subject,
        text,
        messageId: pageMessageId(incident, step, this.from),
      });
    } catch (err) {
      throw new DeliveryError(describe(err), isPermanent(err));
    }
  }
}

import type { EscalationService } from '../../src/incidents/escalation.service.js';
import type { IncidentChat, PageMessage } from '../../src/incidents/ports.js';
import { signal } from './signal.js';

/** The lease a test's claim of due timers takes. */
export const LEASE_MS = 60_000;

/**
 * The chat port, recording each drawing of a page DM (sent, then shown again) with its Escalate to … (`drawn`), and
 * with whose DM it is and the severity it was redrawn with (`dms`; none when sent); a drawing is held while `hold` is
 * set, until the test lets it go.
 */
export function drawingChat() {
  const chat = {
    drawn: [] as (string | undefined)[],
    dms: [] as { userId: string; flag: string | undefined; escalateTo: string | undefined }[],
    hold: null as null | { reached: () => void; go: Promise<void> },
  };
  const draw = async (page: PageMessage, userId: string, flag: string | undefined) => {
    const hold = chat.hold;
    chat.hold = null;
    if (hold) {
      hold.reached();
      await hold.go;
    }
    chat.drawn.push(page.escalateTo?.roleName);
    chat.dms.push({ userId, flag, escalateTo: page.escalateTo?.roleName });
  };
  const port: Partial<IncidentChat> = {
    async notify() {},
    async resolveContacts(ids) {
      return { userIds: ids, unresolved: [] };
    },
    async sendPage(_incident, page, userId) {
      await draw(page, userId, undefined);
      return { channel: `D-${userId}`, ts: '1.000001' };
    },
    async refreshPage(incident, dm, page) {
      await draw(page, dm.channel.slice(2), `SEV-${incident.severity}`);
    },
    async updatePage() {},
    async inviteToChannel() {
      return { unreachable: [] };
    },
    async refreshCard() {},
  };
  return { chat, port: port as IncidentChat };
}

/** Holds the next drawing: `reached` once it is under way, `go()` lets it finish. */
export function holdNextDrawing(chat: ReturnType<typeof drawingChat>['chat']) {
  const reached = signal();
  const go = signal();
  chat.hold = { reached: reached.fire, go: go.fired };
  return { reached: reached.fired, go: go.fire };
}

/** Runs every timer due, until none is. */
export async function runDue(svc: EscalationService) {
  for (let round = 0; round < 10; round++) {
    const { works } = await svc.claim(100, LEASE_MS);
    if (works.length === 0) return;
    await Promise.all(works.map((w) => svc.run(w)));
  }
}

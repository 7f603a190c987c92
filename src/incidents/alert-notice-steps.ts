import { type AlertRow, earlierIncidentOf, getAlert } from '../store/alert.repo.js';
import { getAlertIncident } from '../store/alert-incident.repo.js';
import { alertsOfNotice, alertsOfNoticeTitles, recordNotice, recordNoticeDms } from '../store/alert-notice.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { alertTitle, securityAlert } from './alert-rows.js';
import type { AlertStepsDeps } from './alert-steps.js';
import type { AlertNoticeView } from './alert-types.js';
import { ChatPlatformError } from './errors.js';
import { NoticeDmWithdrawals } from './notice-dm-withdrawals.js';
import { DM_NEVER_UPDATED } from './page-dm-redraw.js';

/** The most alerts a group's notice lists one by one (the rest are counted). */
const NOTICE_LISTED = 10;

/**
 * The notice step (AlertStep `notice`): an alert's notice in the incidents channel (a warning's, or a critical alert's
 * that a maintenance window held back), posted once and updated as its group changes, and a security alert's copies
 * sent to on-call directly (withdrawn with it, Slack refusing that, by the alert loop's sweep). AlertSteps runs it.
 */
export class NoticeSteps {
  constructor(private readonly d: AlertStepsDeps) {
    this.dms = new NoticeDmWithdrawals(d.db, (id) => this.withdrawNoticeDms(id), d.more.noticeDmRetryMs, d.log);
  }

  /** On-call's copies of withdrawn notices that Slack refused to update, drawn again by the alert loop's sweep. */
  readonly dms: NoticeDmWithdrawals;

  /** Posts or updates the notice an alert is shown in (its lead's, listing the group's alerts it holds). */
  async notice(alertId: number): Promise<void> {
    const alert = await getAlert(this.d.db, alertId);
    if (!alert) return;
    const lead = alert.noticeLead === null ? alert : await getAlert(this.d.db, alert.noticeLead);
    if (!lead) return;
    const view = await this.noticeView(lead);
    if (lead.notice) {
      await this.d.chat.updateAlertNotice(lead.notice, view);
      // Withdrawn (its group's private incident took it): on-call's copies, if any, are withdrawn too; those Slack
      // refuses now are drawn by the alert loop's sweep until it takes them (NoticeDmWithdrawals).
      if (view.withdrawn) await this.withdrawDirect(lead, view).catch((err) => this.dms.later(lead.id, err));
      // A security alert's notice: on-call's copies follow it; one that turned security (a security alert joined
      // its group, or an alert's summary now reads as one) is sent them now.
      else if (view.security) await this.directNotice(lead, view);
      return;
    }
    // Never posted, and withdrawn already: nothing to withdraw, nor to post.
    if (view.withdrawn) return;
    const inChannel = await this.d.chat.postAlertNotice(view);
    // A security alert: what fired goes to on-call directly, once, as its notice is first posted (the incidents
    // channel hears only that one fired); after it, so that a refusal there does not send it twice. Without an
    // incidents channel, the first direct message is its notice.
    const direct = view.security ? await this.sendToOnCall(view) : [];
    const posted = inChannel ?? direct[0] ?? null;
    if (posted) await recordNotice(this.d.db, lead.id, posted.channel, posted.ts);
    else
      this.d.log.info(
        `${lead.level} alert ${lead.name} (${lead.source}) recorded; no INCIDENTS_CHANNEL for its notice`,
      );
    if (direct.length) await recordNoticeDms(this.d.db, lead.id, direct);
  }

  /**
   * A security notice's direct messages to on-call: sent (and recorded) when none were, else each updated as the
   * notice changes (resolved, declared, more alerts). A copy Slack refuses to update is logged.
   */
  private async directNotice(lead: AlertRow, view: AlertNoticeView): Promise<void> {
    if (!lead.noticeDms) {
      const sent = await this.sendToOnCall(view);
      if (sent.length) await recordNoticeDms(this.d.db, lead.id, sent);
      return;
    }
    const same = (dm: { channel: string; ts: string }) =>
      lead.notice !== null && dm.channel === lead.notice.channel && dm.ts === lead.notice.ts;
    for (const dm of lead.noticeDms.filter((d) => !same(d))) {
      await this.d.chat
        .updateAlertNotice(dm, view)
        .catch((err) => this.d.log.warn(`could not update on-call's copy of security alert ${lead.id}'s notice`, err));
    }
  }

  /**
   * A notice withdrawn (AlertNoticeView.withdrawn): on-call's direct copies of it, if it was sent them (when it read as
   * a security matter), say so too, naming nothing of the alert; none is sent now. Each is tried; one Slack failed to
   * update for a passing reason is thrown once the others are done (the notice step leaves them due to the alert loop's
   * sweep, which draws them until Slack takes them: the whole notice must not stay in a DM); one Slack will never
   * update (DM_NEVER_UPDATED: gone, the account closed) is let be, and logged.
   */
  private async withdrawDirect(lead: AlertRow, view: AlertNoticeView): Promise<void> {
    let failed: unknown = null;
    for (const dm of lead.noticeDms ?? []) {
      if (lead.notice && dm.channel === lead.notice.channel && dm.ts === lead.notice.ts) continue;
      try {
        await this.d.chat.updateAlertNotice(dm, view);
      } catch (err) {
        if (err instanceof ChatPlatformError && DM_NEVER_UPDATED.has(err.slackError))
          this.d.log.warn(`on-call's copy of alert ${lead.id}'s withdrawn notice cannot be updated any more`, err);
        else failed ??= err;
      }
    }
    if (failed) throw failed;
  }

  /**
   * The sweep's drawing of a lead's copies (NoticeDmWithdrawals): withdrawn as its notice is now; nothing when it is
   * not withdrawn any more (its notice's step draws the copies as it stands) or was never sent them. Throws while Slack
   * refuses one.
   */
  private async withdrawNoticeDms(leadId: number): Promise<void> {
    const lead = await getAlert(this.d.db, leadId);
    if (!lead?.noticeDms?.length) return;
    const view = await this.noticeView(lead);
    if (view.withdrawn) await this.withdrawDirect(lead, view);
  }

  /**
   * A security alert's notice, whole, to the people a declaration pages first (on-call): where each went. Nobody to
   * send it to, or Slack refusing every one, is logged: the incidents channel says one fired all the same.
   */
  private async sendToOnCall(view: AlertNoticeView): Promise<{ channel: string; ts: string }[]> {
    const a = view.alert;
    try {
      const to = (await this.d.more.onCall?.()) ?? [];
      if (to.length === 0) {
        this.d.log.warn(`security ${a.level} alert ${a.name} (${a.source}): nobody on call to send its notice to`);
        return [];
      }
      return await this.d.chat.sendAlertNotice(view, to);
    } catch (err) {
      this.d.log.warn(`could not send the notice of security alert ${a.id} to on-call`, err);
      return [];
    }
  }

  /** What a lead's notice shows: the lead, the other alerts shown in it (at most NOTICE_LISTED), where they went. */
  async noticeView(lead: AlertRow): Promise<AlertNoticeView> {
    const shown = await alertsOfNotice(this.d.db, lead.id, NOTICE_LISTED);
    // Declared from the notice (every loose alert of the group joins), or the lead joined an incident.
    const inIncident = [lead, ...shown.alerts].find((a) => a.alertIncidentId !== null);
    const rule = lead.rule ? this.d.rules.get(lead.rule) : undefined;
    const ai = inIncident?.alertIncidentId ? await getAlertIncident(this.d.db, inIncident.alertIncidentId) : null;
    const incident = ai?.incidentId ? await getIncident(this.d.db, ai.incidentId) : null;
    // Added to an incident already open (Add to incident), rather than declared from the notice.
    const attached = ai?.attachedBy ? { attached: true as const } : {};
    // Sent by storm control to an incident opened for another group's alerts (its source past its cap, as when a window
    // held it back and it fired on after): it joined that incident, nobody declared one from it.
    const joined =
      ai &&
      inIncident &&
      !ai.attachedBy &&
      !ai.declaredBy &&
      ai.storm &&
      (ai.source !== inIncident.source || ai.groupKey !== inIncident.groupKey)
        ? { joined: true as const }
        : {};
    // Not in an incident now, it was in one before (resolved, then it fired again): the notice says which.
    // (A group's notice lists several alerts: not said of one of them.)
    const single = shown.total <= 1 && lead.noticeLeftOut === 0;
    const earlier = incident || !single ? null : await earlierIncidentOf(this.d.db, lead);
    const before = earlier ? await getIncident(this.d.db, earlier) : null;
    // The same check as the recorder's (which side an alert joins) and the declare form's (Private ticked).
    // Every alert of the notice, not only those it lists (a security alert past the first ten was posted nowhere).
    const isSecurity = (a: { rule: string | null; name: string; summary: string }) =>
      securityAlert(this.d.rules, this.d.more.sensitive, { rule: a.rule, title: alertTitle(a.summary, a.name) });
    const secret =
      [lead, ...shown.alerts].some(isSecurity) ||
      (shown.total > shown.alerts.length && (await alertsOfNoticeTitles(this.d.db, lead.id)).some(isSecurity));
    // In a private incident (a security alert's group keeps all its alerts with it): nothing of it said in public.
    const security = incident?.private === true || secret;
    return {
      alert: lead,
      ...(security ? { security: true as const } : {}),
      // Not a security alert itself, its group's private incident took it: the public notice is withdrawn, saying
      // nothing of why (a 'security alert fired' there would tell what the private incident is about).
      ...(security && !secret ? { withdrawn: true as const } : {}),
      ...(shown.total > 1 || lead.noticeLeftOut > 0
        ? { group: { alerts: shown.alerts, total: shown.total, firing: shown.firing, leftOut: lead.noticeLeftOut } }
        : {}),
      rule: rule
        ? {
            name: rule.name,
            action: rule.action,
            threshold: rule.threshold,
            duration: rule.duration,
            severity: rule.severity,
            playbook: rule.playbook
              ? { id: rule.playbook, title: this.d.more.playbookTitle?.(rule.playbook) ?? rule.playbook }
              : null,
          }
        : null,
      ...(before
        ? {
            before: before.private
              ? { private: true as const }
              : { number: before.number, channelId: before.channelId },
          }
        : {}),
      // The incidents channel is everyone's: a private incident is not named there.
      declared: !incident
        ? null
        : incident.private
          ? { private: true, ...attached, ...joined }
          : {
              number: incident.number,
              channelId: incident.channelId,
              by: ai?.declaredBy ?? incident.reporterId,
              ...attached,
              ...joined,
            },
    };
  }
}

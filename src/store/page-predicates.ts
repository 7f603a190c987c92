/*
 * What a page's state means, as SQL fragments (sent, counting as paging its role, acknowledged, its DM drawn behind its
 * incident): shared by the page, page DM, page failure, redraw and summary repos, so each reads it the same way.
 */

/**
 * Page `p` went out: the channel was told of it (its record's end), or one of its direct messages reached someone (the
 * job may be retrying the others). A page is recorded when its job is claimed, before any message: till then it is
 * not paged, only being paged.
 */
export const PAGE_SENT = (p: string) =>
  `(${p}.announced_at IS NOT NULL
    OR EXISTS (SELECT 1 FROM page_deliveries sd WHERE sd.page_id = ${p}.id AND NOT sd.unreachable))`;

/**
 * Page `p` counts as paging its role: it went out, or it is going out (its job still pending: being sent, or tried
 * again after a failure). A role whose page is being sent is counted so that Escalate now and a round do not page it
 * a second time once that page gets through. Not a page whose job ended before it went: called off (acknowledged,
 * resolved meanwhile) or given up (failed try after try: giveUpPages). Those are not paged, and may be paged again.
 */
export const PAGE_COUNTS = (p: string) =>
  `(${PAGE_SENT(p)}
    OR EXISTS (SELECT 1 FROM escalation_jobs cj WHERE cj.id = ${p}.job_id AND cj.state = 'pending'))`;

/**
 * Whether a first page DM drawn with the commander `drawnWith` (a column; null: not recorded, not compared) was drawn
 * with another commander than incident `i`'s now: its Escalate to … may pass over the wrong role (see
 * EscalationService.nextEscalation).
 */
export const OTHER_COMMANDER = (drawnWith: string, i: string) =>
  `(${drawnWith} IS NOT NULL AND ${drawnWith} <> coalesce(${i}.commander_id, ''))`;

/**
 * A role an escalation may not offer again for the incident `i` (in a query that has it): paged (or being paged:
 * PAGE_COUNTS) in its current opening, or asked for by hand and not paged yet (as takenRoles reads).
 */
export const TAKEN_ROLE = (role: string, i: string) =>
  `(EXISTS (SELECT 1 FROM pages tp WHERE tp.incident_id = ${i}.id AND tp.role = ${role}
            AND tp.created_at >= coalesce(${i}.reopened_at, ${i}.created_at) AND ${PAGE_COUNTS('tp')})
    OR EXISTS (SELECT 1 FROM escalation_jobs tj WHERE tj.incident_id = ${i}.id AND tj.rule = 'manual'
               AND tj.state = 'pending' AND tj.role = ${role}))`;

/**
 * Whether a page's first direct message drawn with `d`'s recorded columns (dm_severity, dm_escalate_to, dm_commander)
 * shows incident `i` as it was before a change: another severity, an Escalate to … of a role paged since in this
 * opening (or asked for by hand), or an Escalate to … chosen with another commander.
 */
export const DRAWN_BEHIND = (d: string, i: string) =>
  `(${d}.dm_severity IS DISTINCT FROM ${i}.severity
    OR (${d}.dm_escalate_to <> '' AND ${TAKEN_ROLE(`${d}.dm_escalate_to`, i)})
    OR ${OTHER_COMMANDER(`${d}.dm_commander`, i)})`;

/**
 * Whether page `p` of incident `i` was acknowledged: by the person paged (the page's own acknowledgement), or by the
 * incident's, when the page came before it (a page made after it is answered only by its own).
 */
export const PAGE_ACKNOWLEDGED =
  '(p.acknowledged_at IS NOT NULL OR (i.acknowledged_at IS NOT NULL AND p.created_at <= i.acknowledged_at))';

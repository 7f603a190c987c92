import { BLOCK, FLAG, INPUT } from '../../src/templates/ids.js';
import { stateValue } from './slack-request.js';

/** What a person typed in the status update form; the next update is in Unix seconds. */
export interface StatusFormInput {
  status?: string;
  affected?: string;
  impact?: string;
  currentStatus?: string;
  mitigation?: string;
  next?: number;
  flags?: string[];
  /** "Publish to status page": ticked (true), left unticked (false); undefined leaves the box out (an older form). */
  publish?: boolean;
}

/**
 * The status update form's state as Slack sends it in the view submission. By default: investigating, every text
 * empty, the next update in 30 minutes, no flags, no "Publish to status page" box.
 */
export function statusFormValues(o: StatusFormInput = {}) {
  return {
    [BLOCK.updStatus]: { [INPUT.status]: stateValue.staticSelect(o.status ?? 'investigating') },
    [BLOCK.updAffected]: { [INPUT.affected]: stateValue.plainText(o.affected ?? '') },
    [BLOCK.updImpact]: { [INPUT.impact]: stateValue.plainText(o.impact ?? '') },
    [BLOCK.updCurrentStatus]: { [INPUT.currentStatus]: stateValue.plainText(o.currentStatus ?? '') },
    [BLOCK.updMitigation]: { [INPUT.mitigation]: stateValue.plainText(o.mitigation ?? '') },
    [BLOCK.updNextUpdate]: {
      [INPUT.nextUpdate]: stateValue.datetimepicker(o.next ?? Math.floor(Date.now() / 1000) + 1800),
    },
    [BLOCK.updFlags]: { [INPUT.flags]: stateValue.checkboxes((o.flags ?? []).map((value) => ({ value }))) },
    ...(o.publish === undefined
      ? {}
      : { [BLOCK.updPublish]: { [INPUT.publish]: stateValue.checkboxes(o.publish ? [{ value: FLAG.publish }] : []) } }),
  };
}

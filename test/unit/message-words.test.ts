import { describe, expect, it } from 'vitest';
import { messagePrefill, messageWords } from '../../src/templates/declare-modal.js';

/** As Grafana Alerting's Slack contact point posts a firing alert: no text, one attachment. */
const GRAFANA = {
  text: '',
  attachments: [
    {
      color: '#D63232',
      title: '[FIRING:1] HighErrorRate api (critical)',
      title_link: 'https://grafana.example/alerting/list',
      text: '**Firing**\nValue: A=14.2\nLabels:\n - alertname = HighErrorRate\n - service = api',
      footer: 'Grafana v10.4.1',
      fallback: '[FIRING:1] HighErrorRate api (critical)',
    },
  ],
};

describe('the words of a message a shortcut was used on', () => {
  it('are its text when it has one', () => {
    expect(messageWords({ text: 'checkout throws 500s', attachments: GRAFANA.attachments })).toBe(
      'checkout throws 500s',
    );
  });

  it("are an integration's attachments when it has no text: title, text, fields; the fallback alone else", () => {
    expect(messageWords(GRAFANA)).toBe(
      '[FIRING:1] HighErrorRate api (critical)\n**Firing**\nValue: A=14.2\nLabels:\n - alertname = HighErrorRate\n - service = api',
    );
    expect(
      messageWords({
        attachments: [{ pretext: 'Datadog', title: 'CPU high', fields: [{ title: 'host', value: 'db-1' }, {}] }],
      }),
    ).toBe('Datadog\nCPU high\nhost: db-1');
    expect(messageWords({ attachments: [{ fallback: 'Disk 95% on db-1', color: 'danger' }] })).toBe('Disk 95% on db-1');
  });

  it('are its blocks when it has neither: headers, sections and their fields, context, rich text', () => {
    expect(
      messageWords({
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: 'Redis memory at 95%' } },
          {
            type: 'section',
            text: { type: 'mrkdwn', text: '*cache-1*' },
            fields: [{ type: 'mrkdwn', text: 'eu-west' }],
          },
          { type: 'divider' },
          { type: 'context', elements: [{ type: 'mrkdwn', text: 'Alertmanager' }, { type: 'image' }] },
          {
            type: 'rich_text',
            elements: [
              {
                type: 'rich_text_section',
                elements: [
                  { type: 'text', text: 'since ' },
                  { type: 'text', text: '02:10' },
                ],
              },
            ],
          },
        ],
      }),
    ).toBe('Redis memory at 95%\n*cache-1*\neu-west\nAlertmanager\nsince 02:10');
  });

  it('are nothing for shapes that are not a message (a forged payload), never a throw', () => {
    expect(messageWords({ attachments: 'x', blocks: [null, 3, { type: 'section', text: 7 }] })).toBe('');
    expect(messageWords({})).toBe('');
  });

  it('fill the declare form: the title from the first line, the description from all of it', () => {
    const p = messagePrefill(GRAFANA, { channelName: 'alerts', permalink: null }, 150);
    expect(p.title).toBe('[FIRING:1] HighErrorRate api (critical)');
    expect(p.description).toContain('Value: A=14.2');
    expect(p.description).toContain('From a message in #alerts');
  });
});

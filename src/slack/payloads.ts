import { z } from 'zod';

/** What the bot keeps in a modal's private_metadata. */
const modalMetadata = z.object({ incidentId: z.number().int().positive(), channelId: z.string().min(1) });
export type ModalMetadata = z.infer<typeof modalMetadata>;

export const encodeModalMetadata = (m: ModalMetadata): string => JSON.stringify(m);

export function parseModalMetadata(raw: string | undefined): ModalMetadata | null {
  try {
    const r = modalMetadata.safeParse(JSON.parse(raw ?? ''));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Buttons carry the incident id as their value; selects carry it in the block_id (`incident_card_actions:42`). */
export function parseIncidentRef(value: string | undefined, blockId?: string): number | null {
  const fromValue = z.coerce.number().int().positive().safeParse(value);
  if (value !== undefined && fromValue.success) return fromValue.data;
  const m = /:(\d+)$/.exec(blockId ?? '');
  return m ? Number(m[1]) : null;
}

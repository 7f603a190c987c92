/** A declaration's place in the order of announcements: its team and number once known. */
interface Place {
  at: { teamId: string; number: number } | null;
}

/** A declaration's place, taken when it starts (see AnnounceOrder). */
export interface AnnounceTurn {
  /** Says its number, waits for its turn, then posts its announcement (`announce`, which never throws). */
  inTurn(incident: { teamId: string; number: number }, announce: () => Promise<void>): Promise<void>;
  /** Gives its place up (the declaration ended, announced or not); more than once is nothing. */
  leave(): void;
}

/**
 * The announcements of incidents this process declares from alerts side by side (a storm's), posted in the order of
 * their numbers, not in whichever order their cards and pins came back from Slack. Each declaration takes a place
 * before its number exists (it is given one as its transaction commits) and says it once its announcement is due; an
 * announcement waits while a place of its team with a lower number, or any place whose number is not known yet, has
 * still to announce. At most `maxMs`: a declaration held up by Slack holds the others back no longer. In memory, for
 * this process: declarations of several replicas are ordered each on its own.
 */
export class AnnounceOrder {
  private readonly places = new Set<Place>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly maxMs: number) {}

  take(): AnnounceTurn {
    const place: Place = { at: null };
    this.places.add(place);
    return {
      inTurn: async (incident, announce) => {
        place.at = { teamId: incident.teamId, number: incident.number };
        this.changed();
        await this.turn(place);
        try {
          await announce();
        } finally {
          this.leave(place);
        }
      },
      leave: () => this.leave(place),
    };
  }

  /** Whether a place is to announce before `place`. */
  private behind(place: Place): boolean {
    const mine = place.at;
    if (!mine) return false;
    for (const p of this.places) {
      if (p === place) continue;
      if (p.at === null || (p.at.teamId === mine.teamId && p.at.number < mine.number)) return true;
    }
    return false;
  }

  private turn(place: Place): Promise<void> {
    if (!this.behind(place)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const go = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (!this.behind(place)) go();
      };
      const timer = setTimeout(go, this.maxMs);
      this.waiters.add(check);
    });
  }

  private leave(place: Place): void {
    if (this.places.delete(place)) this.changed();
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }
}

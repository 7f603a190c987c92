/** A one-time signal between two flows of a test: one awaits `fired`, the other calls `fire()`. */
export function signal(): { fired: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const fired = new Promise<void>((r) => {
    fire = r;
  });
  return { fired, fire };
}

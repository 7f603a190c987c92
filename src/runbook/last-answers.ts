/**
 * A pure function of a string, with the answers for the last `kept` strings asked kept: a storm asks the same few
 * alert titles thousands of times what the runbook (fixed while the bot runs) makes of them. The oldest asked is let go
 * first, so that a stream of titles all different holds at most `kept` answers.
 */
export function lastAnswers<T>(kept: number, answer: (key: string) => T): (key: string) => T {
  const answers = new Map<string, T>();
  return (key) => {
    if (answers.has(key)) {
      const known = answers.get(key) as T;
      // Asked again: the newest now (a Map keeps the order keys were set in).
      answers.delete(key);
      answers.set(key, known);
      return known;
    }
    const fresh = answer(key);
    answers.set(key, fresh);
    if (answers.size > kept) answers.delete(answers.keys().next().value as string);
    return fresh;
  };
}

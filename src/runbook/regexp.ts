/** A text as a pattern that matches it literally (every character the RegExp syntax gives a meaning escaped). */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

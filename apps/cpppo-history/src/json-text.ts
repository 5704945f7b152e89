/**
 * JSON texts re-spaced without being re-rendered, so every number keeps the digits it was written with (`1.0`
 * stays `1.0`): compact for `cat` (`["Tag",[0,3]]`) and Python's `json.dumps` spacing for files
 * (`["Tag", [0, 3]]`, as cpppo writes them).
 */

const QUOTE = 34;
const BACKSLASH = 92;

/** True for JSON's blanks (space, tab, CR, LF). */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** `text` (valid JSON) with every blank outside strings removed. */
export function compactJson(text: string): string {
  // Fast path: nothing to remove.
  if (!/[ \t\r\n]/.test(text)) return text;
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (isBlank(c)) {
      out += text.slice(from, i);
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/** `text` (valid JSON) in Python's default spacing: `", "` between items, `": "` after keys, no other blanks. */
export function pythonSpacedJson(text: string): string {
  const compact = compactJson(text);
  let out = "";
  let from = 0;
  for (let i = 0; i < compact.length; i++) {
    const c = compact.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < compact.length; i++) {
        const s = compact.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === 44 || c === 58) {
      out += `${compact.slice(from, i + 1)} `;
      from = i + 1;
    }
  }
  return out + compact.slice(from);
}

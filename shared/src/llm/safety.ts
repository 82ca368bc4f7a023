/**
 * Output checks for an LLM answer before a person or a training set sees it. They flag, never drop or
 * rewrite: a curator decides, and silently altered text would poison training examples.
 */
export type SafetyFlagKind = "prompt_injection_echo" | "system_prompt_leak" | "pii_email" | "pii_phone" | "pii_card" | "pii_iban";

export type SafetyFlag = {
  kind: SafetyFlagKind;
  severity: "low" | "medium" | "high";
  /** Offsets into the checked text, so a UI can highlight the span. */
  start: number;
  end: number;
  /** The match with personal data masked, safe to log. */
  preview: string;
};

export type SafetyReport = { flagged: boolean; flags: SafetyFlag[] };

const INJECTION_PATTERNS: RegExp[] = [
  /\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+|my\s+)*(?:previous|prior|above|earlier|preceding|system)\s+(?:instructions?|prompts?|messages?|rules|directions)\b/gi,
  /\byou\s+are\s+now\s+(?:in\s+)?(?:DAN|developer\s+mode|jailbroken|unrestricted)\b/gi,
  /\b(?:reveal|print|show|repeat|output)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+prompt|hidden\s+instructions|initial\s+instructions)\b/gi,
  /\bmy\s+(?:system\s+prompt|instructions)\s+(?:is|are|says?)\s*:/gi,
  /^\s*(?:system|assistant)\s*:\s/gim,
];

/** A run of this many consecutive words from the system prompt in the answer counts as a leak. */
const LEAK_SHINGLE = 8;

export function checkOutput(text: string, opts: { systemPrompt?: string | null } = {}): SafetyReport {
  const flags: SafetyFlag[] = [];
  for (const re of INJECTION_PATTERNS) {
    for (const m of text.matchAll(re)) {
      flags.push({ kind: "prompt_injection_echo", severity: "high", start: m.index!, end: m.index! + m[0].length, preview: m[0].trim() });
    }
  }
  if (opts.systemPrompt) flags.push(...systemPromptLeaks(text, opts.systemPrompt));
  flags.push(...piiFlags(text));
  flags.sort((a, b) => a.start - b.start || a.kind.localeCompare(b.kind));
  return { flagged: flags.length > 0, flags };
}

function words(text: string): Array<{ w: string; start: number; end: number }> {
  return [...text.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => ({ w: m[0].toLowerCase(), start: m.index!, end: m.index! + m[0].length }));
}

function systemPromptLeaks(text: string, systemPrompt: string): SafetyFlag[] {
  // The TASK line and tag names are protocol, not secrets.
  const secret = words(systemPrompt.replace(/^[ \t]*TASK:.*$/gim, ""));
  if (secret.length < LEAK_SHINGLE) return [];
  const shingles = new Set<string>();
  for (let i = 0; i + LEAK_SHINGLE <= secret.length; i++) shingles.add(secret.slice(i, i + LEAK_SHINGLE).map((x) => x.w).join(" "));
  const out = words(text);
  const flags: SafetyFlag[] = [];
  let i = 0;
  while (i + LEAK_SHINGLE <= out.length) {
    if (!shingles.has(out.slice(i, i + LEAK_SHINGLE).map((x) => x.w).join(" "))) {
      i++;
      continue;
    }
    // Extend to the whole leaked run so one leak is one flag.
    let j = i + LEAK_SHINGLE;
    while (j < out.length && shingles.has(out.slice(j - LEAK_SHINGLE + 1, j + 1).map((x) => x.w).join(" "))) j++;
    const start = out[i]!.start;
    const end = out[j - 1]!.end;
    flags.push({ kind: "system_prompt_leak", severity: "high", start, end, preview: text.slice(start, Math.min(end, start + 80)) });
    i = j;
  }
  return flags;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, remainder mod 97 is 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const v = ch >= "A" && ch <= "Z" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

const maskMiddle = (s: string, keepStart: number, keepEnd: number) =>
  s.length <= keepStart + keepEnd ? "*".repeat(s.length) : s.slice(0, keepStart) + s.slice(keepStart, s.length - keepEnd).replace(/[A-Za-z0-9]/g, "*") + s.slice(s.length - keepEnd);

function piiFlags(text: string): SafetyFlag[] {
  const flags: SafetyFlag[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (s: number, e: number) => taken.some(([a, b]) => s < b && e > a);
  const add = (kind: SafetyFlagKind, severity: SafetyFlag["severity"], start: number, end: number, preview: string) => {
    taken.push([start, end]);
    flags.push({ kind, severity, start, end, preview });
  };

  for (const m of text.matchAll(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g)) {
    const [local, domain] = m[0].split("@") as [string, string];
    add("pii_email", "medium", m.index!, m.index! + m[0].length, `${local.slice(0, 1)}***@${domain}`);
  }
  // Cards before phones: a 16-digit card would otherwise also look like a long phone number.
  for (const m of text.matchAll(/(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g)) {
    const digits = m[0].replace(/\D/g, "");
    if (overlaps(m.index!, m.index! + m[0].length) || !luhnValid(digits)) continue;
    add("pii_card", "high", m.index!, m.index! + m[0].length, maskMiddle(digits, 0, 4));
  }
  for (const m of text.matchAll(/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b/g)) {
    if (overlaps(m.index!, m.index! + m[0].length) || !ibanValid(m[0])) continue;
    add("pii_iban", "high", m.index!, m.index! + m[0].length, maskMiddle(m[0].replace(/\s+/g, ""), 4, 2));
  }
  for (const m of text.matchAll(/(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,4}(?!\w)/g)) {
    const raw = m[0];
    const digits = raw.replace(/\D/g, "");
    if (digits.length < 9 || digits.length > 15) continue;
    // Dates, versions and plain numbers are not phone numbers: require a phone-like shape.
    if (/^\d{4}-\d{2}-\d{2}$/.test(raw) || !(raw.startsWith("+") || raw.includes("(") || /[ .-]/.test(raw))) continue;
    if (overlaps(m.index!, m.index! + raw.length)) continue;
    add("pii_phone", "medium", m.index!, m.index! + raw.length, maskMiddle(raw, 3, 2));
  }
  return flags;
}

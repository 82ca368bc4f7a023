/**
 * Synthetic low-rated feedback drawn from known topics, for measuring theme recovery (tests, benchmark):
 * each item mixes a topic's own words with words every topic uses, in varied sentence shapes.
 */
import { seededRng } from "../stats/rng.ts";

export const SYNTHETIC_TOPICS: Record<string, string[]> = {
  refund: ["refund", "money back", "charged twice", "reimbursement", "payment returned", "credit card charge", "billing error"],
  login: ["password reset", "cannot log in", "login link", "two-factor code", "locked out", "sign-in page", "session expired"],
  shipping: ["package late", "delivery tracking", "parcel lost", "courier", "shipping delay", "arrived damaged", "warehouse"],
  answer_wrong: ["outdated information", "incorrect answer", "made up facts", "hallucinated policy", "wrong version", "inaccurate numbers", "false claim"],
  too_long: ["too long", "verbose reply", "rambling text", "wall of text", "unnecessary detail", "endless paragraphs", "needs to be shorter"],
};

const FILLER = ["the assistant", "this answer", "your bot", "the reply", "support", "it", "honestly", "again", "today", "my question"];
const SHAPES = [
  (a: string, b: string, f: string) => `${f} was useless about ${a}, and ${b} too`,
  (a: string, b: string, f: string) => `I asked about ${a} but ${f} ignored the ${b}`,
  (a: string, b: string) => `${a}? ${b}! Not helpful at all`,
  (a: string, b: string, f: string) => `Complaint: ${a}. Also ${b}. ${f} did not help`,
];

export type SyntheticItem = { topic: string; query: string; comment: string; rating: number };

export function syntheticFeedback(perTopic: number, seed = 1, topics = Object.keys(SYNTHETIC_TOPICS)): SyntheticItem[] {
  const rng = seededRng(seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
  const out: SyntheticItem[] = [];
  for (let i = 0; i < perTopic; i++) {
    for (const topic of topics) {
      const words = SYNTHETIC_TOPICS[topic]!;
      const a = pick(words);
      let b = pick(words);
      if (b === a) b = words[(words.indexOf(a) + 1) % words.length]!;
      out.push({ topic, query: pick(SHAPES)(a, b, pick(FILLER)), comment: `${pick(FILLER)} ${pick(words)}`, rating: 1 + Math.floor(rng() * 2) });
    }
  }
  return out;
}

/**
 * Support-desk topics, each with several phrasings of one question and the answer curators approved.
 * Held-out phrasings of a topic whose other phrasings were approved are what a fine-tuned offline
 * model should now answer well; topics with no approved phrasing it cannot.
 */
export type Topic = { key: string; questions: string[]; answer: string };

export const TOPICS: Topic[] = [
  {
    key: "refund",
    questions: ["How do I get a refund for my order?", "Can I get my money back for an order?", "What is the refund process for a purchase?", "I want a refund on my last order, how?"],
    answer: "Open Orders, choose the order and click Request refund. Refunds go back to the original payment method within 5 business days.",
  },
  {
    key: "password",
    questions: ["How do I reset my password?", "I forgot my password, what do I do?", "Where can I change a forgotten password?", "Password reset is not obvious, help?"],
    answer: "Click Forgot password on the sign-in page, enter your email and follow the reset link we send. The link expires after one hour.",
  },
  {
    key: "invoice",
    questions: ["Where can I download my invoice?", "How do I get a PDF invoice?", "I need an invoice for accounting, where is it?", "Can I download invoices for past payments?"],
    answer: "Go to Settings, Billing, Invoices and click Download next to the invoice. Every invoice is available as a PDF for seven years.",
  },
  {
    key: "shipping",
    questions: ["How long does shipping take?", "When will my package arrive?", "What are the delivery times for shipping?", "How many days until my parcel is delivered?"],
    answer: "Standard shipping takes 3 to 5 business days and express shipping takes 1 to 2 business days. The tracking link arrives by email once the parcel leaves our warehouse.",
  },
  {
    key: "cancel",
    questions: ["How do I cancel my subscription?", "I want to stop my subscription, how?", "Where is the button to cancel the plan subscription?", "Can I cancel my subscription online?"],
    answer: "Open Settings, Plan and click Cancel subscription. You keep access until the end of the paid period and are not charged again.",
  },
  {
    key: "export",
    questions: ["How can I export my data?", "Is there a way to export all my data?", "I need a data export of my account, how?", "Where do I export data to CSV?"],
    answer: "Open Settings, Privacy and choose Export data. We email a ZIP with CSV files of your projects and history within 24 hours.",
  },
  {
    key: "twofactor",
    questions: ["How do I enable two-factor authentication?", "Where do I turn on 2FA for my account?", "Can I set up two-factor login?", "How to activate two-factor authentication codes?"],
    answer: "Go to Settings, Security, Two-factor authentication and scan the QR code with an authenticator app, then enter the six digit code to confirm.",
  },
  {
    key: "team",
    questions: ["How do I invite a teammate?", "Can I add a colleague to my team workspace?", "How to invite people to the team?", "Where do I add new team members?"],
    answer: "Open Team, click Invite member and enter their email address. They get an invitation email and join your workspace after signing up.",
  },
  {
    key: "address",
    questions: ["How do I change my delivery address?", "Can I update the shipping address on an order?", "Where do I edit my delivery address?", "I moved, how to change the address for deliveries?"],
    answer: "Open Account, Addresses and edit the delivery address. Orders that have not shipped yet can be changed from the order page under Change address.",
  },
  {
    key: "dark-mode",
    questions: ["How do I turn on dark mode?", "Is there a dark theme setting?", "Where can I switch the app to dark mode?", "Can the interface use a dark color theme?"],
    answer: "Open Settings, Appearance and pick Dark. You can also choose System to follow the dark mode setting of your device.",
  },
];

/** Rows for training_examples: the first `perTopic` phrasings of the first `topics` topics. */
export function approvedExamples(opts: { topics?: number; perTopic?: number; tag?: string } = {}) {
  const out: Array<{ query: string; answer: string; tags: string[] }> = [];
  for (const t of TOPICS.slice(0, opts.topics ?? TOPICS.length)) {
    for (const q of t.questions.slice(0, opts.perTopic ?? t.questions.length)) out.push({ query: q, answer: t.answer, tags: [opts.tag ?? "support", t.key] });
  }
  return out;
}

/** One training example as a JSONL line in the chat fine-tuning format (what OpenAI-style trainers read). */
export function toJsonlLine(r: { query: string; answer: string; tags: string[] }): string {
  return JSON.stringify({ messages: [{ role: "user", content: r.query }, { role: "assistant", content: r.answer }], tags: r.tags });
}

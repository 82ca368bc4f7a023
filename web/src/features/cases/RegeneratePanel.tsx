import { useRef, useState } from "react";
import { Button } from "../../components/ui/Button.tsx";
import { streamFunction } from "../../lib/functions.ts";
import { messageOf } from "../../lib/errors.ts";

type Props = { caseId: string; onUse(text: string): void };
type Done = { suggestion: string; model: string; flags: unknown[] };

/** Asks the model again, with optional instructions, and shows the answer as it streams in. */
export function RegeneratePanel({ caseId, onUse }: Props) {
  const [instructions, setInstructions] = useState("");
  const [text, setText] = useState("");
  const [state, setState] = useState<"idle" | "streaming" | "done" | "error">("idle");
  const [info, setInfo] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  async function run() {
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    setText("");
    setInfo(null);
    setState("streaming");
    try {
      for await (const ev of streamFunction("regenerate-suggestion", { caseId, instructions: instructions.trim() || undefined }, ctrl.signal)) {
        const data = JSON.parse(ev.data) as { text?: string; message?: string } & Partial<Done>;
        if (ev.event === "delta" && data.text) setText((t) => t + data.text);
        else if (ev.event === "done") {
          setText(data.suggestion ?? "");
          const flags = (data.flags ?? []).length;
          setInfo(`${data.model ?? "model"}${flags ? ` · ${flags} safety flag${flags > 1 ? "s" : ""}` : ""}`);
          setState("done");
          return;
        } else if (ev.event === "error") throw new Error(data.message ?? "The model failed");
      }
      setState("done");
    } catch (err) {
      if ((err as Error).name === "AbortError") return setState("idle");
      setInfo(messageOf(err));
      setState("error");
    }
  }

  return (
    <section className="card regenerate" aria-label="Regenerate suggestion">
      <h3 className="section-title">Regenerate with instructions</h3>
      <textarea rows={2} placeholder="e.g. Mention the 5-day refund window; keep it under 80 words." value={instructions} maxLength={2000} onChange={(e) => setInstructions(e.target.value)} />
      <div className="row-end">
        {state === "streaming" ? <Button onClick={() => abort.current?.abort()}>Stop</Button> : null}
        <Button variant="primary" busy={state === "streaming"} onClick={() => void run()}>Regenerate</Button>
      </div>
      {text || state === "streaming" ? (
        <div className="stream-box" aria-live="polite" data-testid="regenerated">
          <p className="prose">{text}{state === "streaming" ? <span className="caret" aria-hidden>▍</span> : null}</p>
          {state === "done" ? (
            <div className="row-end">
              <span className="muted small grow">{info}</span>
              <Button onClick={() => { setText(""); setState("idle"); }}>Discard</Button>
              <Button variant="primary" onClick={() => { onUse(text); setText(""); setState("idle"); }}>Replace the answer</Button>
            </div>
          ) : null}
        </div>
      ) : null}
      {state === "error" ? <p className="form-error" role="alert">{info}</p> : null}
    </section>
  );
}

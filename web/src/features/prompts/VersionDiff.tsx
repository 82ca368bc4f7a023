import { useState } from "react";
import { DiffView } from "../collab/index.ts";
import type { PromptVersion } from "./types.ts";

/** Pick any two versions (A = before, B = after) and see the word diff of both templates. */
export function VersionDiff({ versions }: { versions: PromptVersion[] }) {
  const [a, setA] = useState(versions[1]?.id ?? versions[0]?.id ?? "");
  const [b, setB] = useState(versions[0]?.id ?? "");
  const va = versions.find((v) => v.id === a);
  const vb = versions.find((v) => v.id === b);
  const pick = (label: string, value: string, set: (id: string) => void) => (
    <label className="field">
      <span className="field-label">{label}</span>
      <select aria-label={label} value={value} onChange={(e) => set(e.target.value)}>
        {versions.map((v) => <option key={v.id} value={v.id}>v{v.version} ({v.status})</option>)}
      </select>
    </label>
  );
  return (
    <section className="card" data-testid="version-diff">
      <h3 className="section-title">Compare versions</h3>
      <div className="row">{pick("Version A", a, setA)}{pick("Version B", b, setB)}</div>
      {va && vb ? (
        <>
          <h4>Template</h4>
          <div data-testid="diff-template"><DiffView before={va.template} after={vb.template} /></div>
          <h4>System template</h4>
          <div data-testid="diff-system"><DiffView before={va.system_template} after={vb.system_template} /></div>
        </>
      ) : null}
    </section>
  );
}

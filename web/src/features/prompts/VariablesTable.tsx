import { Button } from "../../components/ui/Button.tsx";
import type { PromptVariable } from "./types.ts";

const TYPES: PromptVariable["type"][] = ["string", "number", "boolean", "json"];

/** The variables a version declares; `problems` are the server's per-variable messages. */
export function VariablesTable({ value, onChange, readOnly, problems }: { value: PromptVariable[]; onChange(v: PromptVariable[]): void; readOnly: boolean; problems: string[] }) {
  const set = (i: number, patch: Partial<PromptVariable>) => onChange(value.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  return (
    <div className="stack" data-testid="variables">
      <table className="table">
        <thead><tr><th>Variable</th><th>Type</th><th>Required</th>{readOnly ? null : <th />}</tr></thead>
        <tbody>
          {value.map((v, i) => (
            <tr key={i}>
              <td><input aria-label={`Variable ${i + 1} name`} value={v.name} readOnly={readOnly} onChange={(e) => set(i, { name: e.target.value })} /></td>
              <td>
                <select aria-label={`Variable ${i + 1} type`} value={v.type} disabled={readOnly} onChange={(e) => set(i, { type: e.target.value as PromptVariable["type"] })}>
                  {TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
                </select>
              </td>
              <td><input type="checkbox" aria-label={`Variable ${i + 1} required`} checked={!!v.required} disabled={readOnly} onChange={(e) => set(i, { required: e.target.checked })} /></td>
              {readOnly ? null : <td><Button size="sm" variant="ghost" onClick={() => onChange(value.filter((_, j) => j !== i))}>Remove</Button></td>}
            </tr>
          ))}
        </tbody>
      </table>
      {readOnly ? null : <Button size="sm" onClick={() => onChange([...value, { name: "", type: "string", required: true }])}>Add variable</Button>}
      {problems.length ? (
        <ul className="field-error" role="alert" data-testid="variable-errors">
          {problems.map((p) => <li key={p}>{p}</li>)}
        </ul>
      ) : null}
    </div>
  );
}

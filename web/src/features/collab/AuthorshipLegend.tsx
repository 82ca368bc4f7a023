import { useCallback, useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import type { Author } from "./authorship.ts";

const PARAM = "authorship";

/**
 * Whether the case room shows authorship; kept in the URL like other view options, so a link shares
 * it. The router applies URL changes in a transition, which would leave the checkbox unticked for a
 * moment, so the choice is also held locally and follows the URL when that changes (back, forward).
 */
export function useShowAuthorship(): [boolean, (on: boolean) => void] {
  const [params, setParams] = useSearchParams();
  const fromUrl = params.get(PARAM) === "on";
  const [on, setOn] = useState(fromUrl);
  useEffect(() => setOn(fromUrl), [fromUrl]);
  const set = useCallback(
    (next: boolean) => {
      setOn(next);
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev);
          if (next) p.set(PARAM, "on");
          else p.delete(PARAM);
          return p;
        },
        { replace: true },
      );
    },
    [setParams],
  );
  return [on, set];
}

export function AuthorshipToggle({ on, onChange }: { on: boolean; onChange(on: boolean): void }) {
  return (
    <label className="authorship-toggle small">
      <input type="checkbox" checked={on} onChange={(e) => onChange(e.target.checked)} /> Show authorship
    </label>
  );
}

/** Who wrote the text now in the answer, in the colours used in the editor. */
export function AuthorshipLegend({ entries }: { entries: Array<{ author: Author; chars: number }> }) {
  const total = entries.reduce((n, e) => n + e.chars, 0);
  return (
    <ul className="authorship-legend" aria-label="Authors" data-testid="authorship-legend">
      {entries.map(({ author, chars }) => (
        <li key={author.key} className={author.known ? "" : "is-suggestion"} title={author.known ? `${author.name} wrote ${chars} characters` : `${chars} characters from the suggestion`}>
          <span className="authorship-swatch" style={{ background: `${author.color}33`, borderColor: author.color }} aria-hidden />
          <span className="authorship-name">{author.name}</span>
          <span className="muted">{total ? `${Math.round((chars / total) * 100)}%` : ""}</span>
        </li>
      ))}
      {!entries.length ? <li className="muted">No text yet.</li> : null}
    </ul>
  );
}

import { useState } from "react";
import { Link } from "react-router";
import { Badge } from "../../components/ui/Badge.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { EmptyState, ErrorState } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { messageOf } from "../../lib/errors.ts";
import { timeAgo } from "../../lib/format.ts";
import { can } from "../../lib/permissions.ts";
import { useCurrentOrg, type MyOrg } from "../orgs/index.ts";
import { useLabelTheme, useOpenCases, useRecomputeThemes, useThemeItems, useThemes, type Theme } from "./queries.ts";

/** What users are unhappy about: low-rated feedback grouped into named themes by the themes job. */
export default function ThemesPage() {
  const org = useCurrentOrg();
  const themes = useThemes(org.org_id);
  const recompute = useRecomputeThemes(org.org_id);
  const first = themes.data?.[0];
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Themes</h1>
          {first ? <p className="muted small">Low-rated feedback from {new Date(first.window_from).toLocaleDateString()} to {new Date(first.window_to).toLocaleDateString()}, grouped {timeAgo(first.created_at)}; trend against the window before.</p> : null}
        </div>
        <span className="grow" />
        {can(org.role, "job:start") ? (
          <Button busy={recompute.isPending} onClick={() => recompute.mutate(undefined, {
            onSuccess: (r) => toast.success(r.created ? "Recomputing themes" : "Themes are already being recomputed", "The page updates when the job completes."),
            onError: (e) => toast.error("Could not start the themes job", messageOf(e)),
          })}>Recompute</Button>
        ) : null}
      </header>
      {themes.error ? <ErrorState error={themes.error} retry={() => void themes.refetch()} /> : themes.data?.length === 0 ? (
        <EmptyState title="No themes yet.">Themes are computed from low-rated feedback by a job that runs daily{can(org.role, "job:start") ? " or when you recompute" : ""}.</EmptyState>
      ) : (
        <div className="grid-2">{themes.data?.map((t) => <ThemeCard key={t.id} theme={t} org={org} />)}</div>
      )}
    </div>
  );
}

function ThemeCard({ theme, org }: { theme: Theme; org: MyOrg }) {
  const items = useThemeItems(theme.id);
  const label = useLabelTheme(theme.id);
  const cases = useOpenCases(theme.id);
  const [labelText, setLabelText] = useState("");
  const change = theme.previous_size ? (theme.size - theme.previous_size) / theme.previous_size : null;
  // Worst first: lowest rating, then the most typical; those without a case yet.
  const worst = (items.data ?? []).filter((i) => i.feedback && !i.feedback.case_id)
    .sort((a, b) => a.feedback!.rating - b.feedback!.rating || b.similarity - a.similarity).slice(0, 3);
  return (
    <article className="card theme-card" data-testid="theme" aria-label={theme.name}>
      <div className="card-head">
        <h3 className="section-title">{theme.name}</h3>
        <span className="grow" />
        <Badge tone="neutral">{theme.size} items</Badge>
        <Badge tone="bad">avg {theme.avg_rating?.toFixed(2) ?? "—"}★</Badge>
        <span className={`small ${change === null ? "muted" : change > 0 ? "trend-up" : "trend-down"}`} data-testid="theme-trend">
          {change === null ? "new" : `${change > 0 ? "▲" : change < 0 ? "▼" : "="} ${Math.abs(Math.round(change * 100))}% vs before (${theme.previous_size})`}
        </span>
      </div>
      {theme.summary ? <p className="small">{theme.summary}</p> : null}
      {theme.keywords.length ? <div className="row small muted">{theme.keywords.map((k) => <span key={k} className="badge">{k}</span>)}</div> : null}
      <ol className="theme-examples" aria-label="Examples">
        {items.data?.slice(0, 3).map((i) => i.feedback ? (
          <li key={i.feedback_id}><Link to={`/o/${org.slug}/inbox/${i.feedback_id}`}>{i.feedback.query}</Link> <span className="muted">({i.feedback.rating}★)</span></li>
        ) : null)}
      </ol>
      <div className="row">
        {can(org.role, "case:open") ? (
          <Button size="sm" disabled={!worst.length} busy={cases.isPending} onClick={() => cases.mutate(worst.map((w) => w.feedback_id), {
            onSuccess: (n) => toast.success(`Opened ${n} case${n === 1 ? "" : "s"} for the worst items`),
            onError: (e) => toast.error("Could not open every case", messageOf(e)),
          })}>Open cases for the {worst.length || ""} worst</Button>
        ) : null}
        {can(org.role, "feedback:write") ? (
          <form className="row" onSubmit={(e) => {
            e.preventDefault();
            const l = labelText.trim();
            if (!l || !items.data) return;
            label.mutate({ items: items.data, label: l }, { onSuccess: (n) => { toast.success(`Labelled ${n} item${n === 1 ? "" : "s"} “${l}”`); setLabelText(""); }, onError: (err) => toast.error("Could not label them", messageOf(err)) });
          }}>
            <input className="label-input" aria-label={`Label for ${theme.name}`} placeholder="label" maxLength={40} value={labelText} onChange={(e) => setLabelText(e.target.value)} />
            <Button size="sm" type="submit" busy={label.isPending}>Label all</Button>
          </form>
        ) : null}
      </div>
    </article>
  );
}

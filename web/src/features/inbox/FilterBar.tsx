import { useEffect, useRef, useState } from "react";
import { Button } from "../../components/ui/Button.tsx";
import { activeFilterCount, EMPTY_FILTERS, type InboxFilters } from "./filters.ts";
import { STATUSES, STATUS_LABELS, type FeedbackStatus } from "./types.ts";

type Props = { filters: InboxFilters; onChange(f: InboxFilters): void; knownLabels: string[]; models: string[]; searchRef: React.RefObject<HTMLInputElement | null> };

function toggle<T>(list: T[], v: T): T[] {
  return list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
}

export function FilterBar({ filters, onChange, knownLabels, models, searchRef }: Props) {
  const [q, setQ] = useState(filters.q ?? "");
  const [labelDraft, setLabelDraft] = useState("");
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => setQ(filters.q ?? ""), [filters.q]);

  // Typing should not write a history entry per key nor refetch per key.
  const onSearch = (v: string) => {
    setQ(v);
    if (pending.current) clearTimeout(pending.current);
    pending.current = setTimeout(() => onChange({ ...filters, q: v.trim() || undefined }), 300);
  };

  return (
    <div className="filter-bar" role="search" aria-label="Filter feedback">
      <input
        ref={searchRef}
        className="search"
        type="search"
        placeholder="Search questions, answers, comments…  ( / )"
        aria-label="Search"
        value={q}
        onChange={(e) => onSearch(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            if (pending.current) clearTimeout(pending.current);
            onChange({ ...filters, q: q.trim() || undefined });
          }
          if (e.key === "Escape") (e.target as HTMLInputElement).blur();
        }}
      />
      <div className="chip-group" role="group" aria-label="Rating">
        {[1, 2, 3, 4, 5].map((r) => (
          <button key={r} className={`chip rating-${r}`} aria-pressed={filters.rating.includes(r)} onClick={() => onChange({ ...filters, rating: toggle(filters.rating, r).sort() })}>
            {r}★
          </button>
        ))}
      </div>
      <div className="chip-group" role="group" aria-label="Status">
        {STATUSES.map((s: FeedbackStatus) => (
          <button key={s} className="chip" aria-pressed={filters.status.includes(s)} onClick={() => onChange({ ...filters, status: toggle(filters.status, s) })}>
            {STATUS_LABELS[s]}
          </button>
        ))}
      </div>
      <div className="chip-group" role="group" aria-label="Labels">
        {filters.labels.map((l) => (
          <button key={l} className="chip" aria-pressed onClick={() => onChange({ ...filters, labels: filters.labels.filter((x) => x !== l) })} title="Remove this label filter">
            #{l} ×
          </button>
        ))}
        <input
          className="label-input"
          list="known-labels"
          placeholder="+ label"
          aria-label="Filter by label"
          value={labelDraft}
          onChange={(e) => setLabelDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && labelDraft.trim()) {
              onChange({ ...filters, labels: [...new Set([...filters.labels, labelDraft.trim().toLowerCase()])] });
              setLabelDraft("");
            }
          }}
        />
        <datalist id="known-labels">{knownLabels.map((l) => <option key={l} value={l} />)}</datalist>
      </div>
      <label className="inline-field">
        From <input type="date" value={filters.from ?? ""} onChange={(e) => onChange({ ...filters, from: e.target.value || undefined })} />
      </label>
      <label className="inline-field">
        To <input type="date" value={filters.to ?? ""} onChange={(e) => onChange({ ...filters, to: e.target.value || undefined })} />
      </label>
      <label className="inline-field">
        Model
        <input
          key={filters.model ?? ""}
          list="known-models"
          className="model-input"
          defaultValue={filters.model ?? ""}
          placeholder="any"
          onBlur={(e) => e.target.value.trim() !== (filters.model ?? "") && onChange({ ...filters, model: e.target.value.trim() || undefined })}
          onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()}
        />
        <datalist id="known-models">{models.map((m) => <option key={m} value={m} />)}</datalist>
      </label>
      {activeFilterCount(filters) ? (
        <Button size="sm" variant="ghost" onClick={() => onChange(EMPTY_FILTERS)}>Clear filters</Button>
      ) : null}
    </div>
  );
}

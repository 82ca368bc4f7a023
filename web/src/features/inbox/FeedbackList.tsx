import { memo, useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { Avatar, AvatarStack } from "../../components/ui/Avatar.tsx";
import { timeAgo } from "../../lib/format.ts";
import type { Member } from "../orgs/index.ts";
import type { Viewer } from "./presence.ts";
import { STATUS_LABELS, type FeedbackRow } from "./types.ts";

export const ROW_HEIGHT = 60;

type Props = {
  rows: FeedbackRow[];
  cursor: string | null;
  openId: string | null;
  selected: Set<string>;
  viewers: Map<string, Viewer[]>;
  members: Map<string, Member>;
  me: string;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): void;
  onActivate(id: string): void;
  onToggle(id: string): void;
  scrollToCursor: number;
};

/** The inbox list, virtualized: only the visible rows (plus a margin) are in the DOM, at any size. */
export function FeedbackList({ rows, cursor, openId, selected, viewers, members, me, hasMore, loadingMore, loadMore, onActivate, onToggle, scrollToCursor }: Props) {
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => parentRef.current, estimateSize: () => ROW_HEIGHT, overscan: 6, getItemKey: (i) => rows[i]!.id });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];

  useEffect(() => {
    if (last && hasMore && !loadingMore && last.index >= rows.length - 40) loadMore();
  }, [last?.index, hasMore, loadingMore, rows.length, loadMore]);

  // Keyboard moves keep the cursor row in view.
  useEffect(() => {
    if (!cursor) return;
    const idx = rows.findIndex((r) => r.id === cursor);
    if (idx >= 0) virtualizer.scrollToIndex(idx, { align: "auto" });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scrollToCursor]);

  return (
    <div ref={parentRef} className="feedback-scroll" data-testid="inbox-scroll" role="listbox" aria-label="Feedback" aria-multiselectable tabIndex={-1}>
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {items.map((vi) => {
          const row = rows[vi.index]!;
          return (
            <div key={vi.key} className="vrow" style={{ transform: `translateY(${vi.start}px)`, height: ROW_HEIGHT }}>
              <Row
                row={row}
                isCursor={row.id === cursor}
                isOpen={row.id === openId}
                isSelected={selected.has(row.id)}
                viewers={viewers.get(row.id)}
                claimer={row.claimed_by ? members.get(row.claimed_by) : undefined}
                claimedByMe={row.claimed_by === me}
                onActivate={onActivate}
                onToggle={onToggle}
              />
            </div>
          );
        })}
      </div>
      {loadingMore ? <div className="list-footer muted">Loading more…</div> : null}
    </div>
  );
}

type RowProps = {
  row: FeedbackRow;
  isCursor: boolean;
  isOpen: boolean;
  isSelected: boolean;
  viewers: Viewer[] | undefined;
  claimer: Member | undefined;
  claimedByMe: boolean;
  onActivate(id: string): void;
  onToggle(id: string): void;
};

const Row = memo(function Row({ row, isCursor, isOpen, isSelected, viewers, claimer, claimedByMe, onActivate, onToggle }: RowProps) {
  return (
    <div
      className={`frow ${isCursor ? "is-cursor" : ""} ${isOpen ? "is-open" : ""} ${row.status === "dismissed" ? "is-dismissed" : ""}`}
      role="option"
      aria-selected={isSelected}
      aria-current={isCursor || undefined}
      data-feedback-id={row.id}
      data-status={row.status}
      onClick={() => onActivate(row.id)}
    >
      {/* Not an <input>: a form control per row made every scroll frame's style and layout dearer (see bench/README-web.md). */}
      <span
        role="checkbox"
        className="frow-check"
        aria-label="Select"
        aria-checked={isSelected}
        onClick={(e) => {
          e.stopPropagation();
          onToggle(row.id);
        }}
      />
      <span className={`rating rating-${row.rating}`} aria-label={`Rated ${row.rating} of 5`}>{row.rating}</span>
      <div className="frow-main">
        <div className="frow-query">{row.query}</div>
        <div className="frow-sub">
          {row.comment ? <span className="frow-comment">“{row.comment}”</span> : <span className="muted">no comment</span>}
        </div>
      </div>
      <div className="frow-labels">
        {row.labels.slice(0, 3).map((l) => <span key={l} className="label">#{l}</span>)}
        {row.labels.length > 3 ? <span className="label">+{row.labels.length - 3}</span> : null}
      </div>
      <span className={`status status-${row.status}`}>{STATUS_LABELS[row.status]}</span>
      <span className="frow-people">
        {viewers?.length ? <span data-testid="row-viewers"><AvatarStack people={viewers} label={`Viewing now: ${viewers.map((v) => v.name).join(", ")}`} /></span> : null}
        {row.claimed_by ? (
          <span className={`claim ${claimedByMe ? "claim-me" : ""}`} data-testid="row-claim" data-claimed-by={row.claimed_by}>
            <Avatar name={claimer?.name ?? "Someone"} color={claimer?.color ?? "#64748b"} size={18} title={`Claimed by ${claimedByMe ? "you" : (claimer?.name ?? "a teammate")}`} />
            <span className="claim-text">{claimedByMe ? "You" : (claimer?.name ?? "Claimed")}</span>
          </span>
        ) : null}
      </span>
      <time className="frow-time muted" dateTime={row.created_at}>{timeAgo(row.created_at)}</time>
    </div>
  );
});

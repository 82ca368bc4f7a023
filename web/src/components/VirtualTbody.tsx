import { useLayoutEffect, useRef, useState, type ReactNode } from "react";
import { defaultRangeExtractor, useVirtualizer } from "@tanstack/react-virtual";

/** Below this many rows a table renders them all (find-in-page, printing); above, only what is in view. */
export const VIRTUALIZE_FROM = 200;

/** What a row rendered by VirtualTbody puts on its <tr>, so the virtualizer measures its real height. */
export type MeasureProps = { ref?: (el: Element | null) => void; "data-index"?: number };

/**
 * A table body that renders only the rows in view (plus a margin) once there are many, inside the page's
 * own scroll container (the shell's `.content`), with spacer rows above and below so the table keeps its
 * columns and the scrollbar its length. Rows differ in height (texts wrap), so each is measured.
 *
 * Written around @tanstack/react-virtual (which the inbox uses with a scroll box of its own) because a
 * dataset's items are a table in a page that scrolls as a whole: the table starts below other content,
 * which the virtualizer gets as its scroll margin.
 */
export function VirtualTbody<T>({ rows, rowKey, estimateSize, colSpan, keepIndex = -1, renderRow }: {
  rows: T[];
  rowKey(row: T): string;
  estimateSize: number;
  colSpan: number;
  /** A row kept rendered when scrolled out of view (an open editor keeps its focus and selection). */
  keepIndex?: number;
  renderRow(row: T, index: number, measure: MeasureProps): ReactNode;
}) {
  const body = useRef<HTMLTableSectionElement>(null);
  const [scrollEl, setScrollEl] = useState<HTMLElement | null>(null);
  const [margin, setMargin] = useState(0);
  const virtual = rows.length >= VIRTUALIZE_FROM;
  // Where the table's body starts in the scroll container; what is above it (notices, a diff line
  // opened) can change height, so it is read after every render and kept when unchanged.
  useLayoutEffect(() => {
    if (!virtual || !body.current) return;
    const el = (body.current.closest(".content") as HTMLElement | null) ?? (document.scrollingElement as HTMLElement | null);
    if (el !== scrollEl) setScrollEl(el);
    if (!el) return;
    const top = body.current.getBoundingClientRect().top - el.getBoundingClientRect().top + el.scrollTop;
    if (Math.abs(top - margin) > 1) setMargin(top);
  });
  const virtualizer = useVirtualizer({
    count: virtual ? rows.length : 0,
    getScrollElement: () => scrollEl,
    estimateSize: () => estimateSize,
    overscan: 8,
    scrollMargin: margin,
    getItemKey: (i) => rowKey(rows[i]!),
    rangeExtractor: (range) => {
      const out = defaultRangeExtractor(range);
      return keepIndex >= 0 && keepIndex < rows.length && !out.includes(keepIndex) ? [...out, keepIndex].sort((x, y) => x - y) : out;
    },
  });
  if (!virtual) return <tbody ref={body}>{rows.map((r, i) => renderRow(r, i, {}))}</tbody>;
  // Spacers stand for the rows not rendered: above, below, and between a kept row and the rows in view.
  const out: ReactNode[] = [];
  const spacer = (key: string, height: number) =>
    height > 0 ? out.push(<tr key={key} aria-hidden="true" style={{ height }}><td colSpan={colSpan} style={{ padding: 0, border: 0 }} /></tr>) : 0;
  let end = margin;
  for (const vi of virtualizer.getVirtualItems()) {
    spacer(`gap-${vi.index}`, vi.start - end);
    out.push(renderRow(rows[vi.index]!, vi.index, { ref: virtualizer.measureElement, "data-index": vi.index }));
    end = vi.end;
  }
  spacer("gap-end", virtualizer.getTotalSize() + margin - end);
  return <tbody ref={body}>{out}</tbody>;
}

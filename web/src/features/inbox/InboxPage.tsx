import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { Button } from "../../components/ui/Button.tsx";
import { AvatarStack } from "../../components/ui/Avatar.tsx";
import { EmptyState, ErrorState } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { supabase } from "../../lib/supabase.ts";
import { useCurrentOrg, useMembers } from "../orgs/index.ts";
import { useMe } from "../orgs/index.ts";
import { CreateCaseDialog } from "../cases/index.ts";
import { flattenInbox, totalOf } from "./cache.ts";
import { FeedbackList } from "./FeedbackList.tsx";
import { FeedbackPanel } from "./FeedbackPanel.tsx";
import { FilterBar } from "./FilterBar.tsx";
import { activeFilterCount, filtersToParams, matchesFilters, parseFilters, type InboxFilters } from "./filters.ts";
import { HelpDialog } from "./HelpDialog.tsx";
import { useInboxKeyboard, type InboxAction } from "./keyboard.ts";
import { LabelDialog } from "./LabelDialog.tsx";
import { useInboxLive } from "./live.ts";
import { useTriage } from "./mutations.ts";
import { useOrgPresence } from "./presence.ts";
import { useInbox, useKnownLabels } from "./queries.ts";
import { useSelection } from "./selection.ts";
import type { FeedbackRow } from "./types.ts";

// Loaded on first use: the form and its zod schema stay out of the first route's JavaScript.
const NewFeedbackDialog = lazy(() => import("./NewFeedbackDialog.tsx").then((m) => ({ default: m.NewFeedbackDialog })));

export default function InboxPage() {
  const org = useCurrentOrg();
  const me = useMe(org.org_id);
  const { feedbackId } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseFilters(params), [params]);
  const canTriage = can(org.role, "feedback:write");
  const canRequestCase = can(org.role, "case:open");
  const canAdd = can(org.role, "feedback:write");

  // Subscribed first, fetched second: a change between the first page's read and the join would be lost.
  const liveReady = useInboxLive(org.org_id);
  const inbox = useInbox(org.org_id, filters, liveReady);
  const rows = useMemo(() => flattenInbox(inbox.data), [inbox.data]);
  const total = totalOf(inbox.data);
  const { byId: members } = useMembers(org.org_id);
  const { data: knownLabels = [] } = useKnownLabels(org.org_id);
  const { data: models = [] } = useQuery({
    queryKey: ["model-names", org.org_id],
    queryFn: async () => ((await supabase.from("models").select("name").eq("org_id", org.org_id)).data ?? []).map((m: { name: string }) => m.name),
    staleTime: 5 * 60_000,
  });

  const presence = useOrgPresence(org.org_id, me, feedbackId ?? null, canTriage);
  const triage = useTriage(org.org_id, me.userId, presence.broadcastClaim);

  const { cursor, selected, setCursor, toggle, clear } = useSelection();
  const [scrollTick, setScrollTick] = useState(0);
  const [labelOpen, setLabelOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [creatingFor, setCreatingFor] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  // Stays mounted once opened, so that a closed dialog keeps its draft.
  const [addDialogUsed, setAddDialogUsed] = useState(false);
  useEffect(() => { if (adding) setAddDialogUsed(true); }, [adding]);
  const searchRef = useRef<HTMLInputElement>(null);

  // A new org or filter starts with a fresh selection; the cursor lands on the first row.
  useEffect(() => clear(), [org.org_id, clear]);
  useEffect(() => {
    if (!rows.length) return;
    if (!cursor || !rows.some((r) => r.id === cursor)) setCursor(feedbackId && rows.some((r) => r.id === feedbackId) ? feedbackId : rows[0]!.id);
  }, [rows, cursor, feedbackId, setCursor]);

  const setFilters = useCallback((f: InboxFilters) => setParams(filtersToParams(f, params), { replace: false }), [params, setParams]);
  const search = params.toString() ? `?${params.toString()}` : "";
  const open = useCallback((id: string) => navigate(`/o/${org.slug}/inbox/${id}${search}`), [navigate, org.slug, search]);
  const close = useCallback(() => navigate(`/o/${org.slug}/inbox${search}`), [navigate, org.slug, search]);
  const targets = () => (selected.size ? [...selected] : cursor ? [cursor] : []);

  const move = (delta: number) => {
    if (!rows.length) return;
    const idx = Math.max(0, rows.findIndex((r) => r.id === cursor));
    const next = rows[Math.min(rows.length - 1, Math.max(0, idx + delta))]!;
    setCursor(next.id);
    setScrollTick((t) => t + 1);
    // With the detail open, moving the cursor moves what is shown (and what presence says we view).
    if (feedbackId) open(next.id);
  };

  const onAction = (action: InboxAction) => {
    switch (action) {
      case "next": return move(1);
      case "prev": return move(-1);
      case "open": return cursor && open(cursor);
      case "select": return cursor && toggle(cursor);
      case "createCase": {
        const row = rows.find((r) => r.id === cursor);
        if (!row || !canRequestCase) return;
        if (row.case_id) return navigate(`/o/${org.slug}/cases/${row.case_id}`);
        return setCreatingFor(row.id);
      }
      case "label": return canTriage && targets().length ? setLabelOpen(true) : undefined;
      case "dismiss": {
        if (!canTriage) return;
        const ids = targets();
        clear();
        return void triage.dismiss(ids);
      }
      case "claim": {
        if (!canTriage) return;
        const ids = targets();
        const rowsById = new Map(rows.map((r) => [r.id, r]));
        const claim = ids.some((id) => rowsById.get(id)?.claimed_by !== me.userId);
        return void triage.claim(ids, claim);
      }
      case "newFeedback": return canAdd ? setAdding(true) : undefined;
      case "search": return searchRef.current?.focus();
      case "help": return setHelpOpen(true);
      case "escape":
        if (document.activeElement === searchRef.current) return searchRef.current?.blur();
        if (feedbackId) return close();
        return clear();
    }
  };
  useInboxKeyboard(onAction, !labelOpen && !helpOpen && !creatingFor && !adding);

  const onAdded = (row: FeedbackRow) => {
    if (!matchesFilters(row, filters)) return void toast.info("Feedback added", "The current filters hide it; clear them to see it.");
    toast.success("Feedback added");
    setCursor(row.id);
    setScrollTick((t) => t + 1);
  };

  const viewersOfOpen = feedbackId ? (presence.byItem.get(feedbackId) ?? []) : [];

  return (
    <div className="inbox">
      <FilterBar filters={filters} onChange={setFilters} knownLabels={knownLabels} models={models} searchRef={searchRef} />
      <div className="inbox-body">
        <section className="inbox-list" aria-label="Inbox">
          <div className="list-head">
            <strong data-testid="inbox-count">{total === null ? `${rows.length}` : total.toLocaleString()} {activeFilterCount(filters) ? "matching" : "items"}</strong>
            {activeFilterCount(filters) && can(org.role, "dataset:edit") ? (
              <Button size="sm" variant="ghost" onClick={() => navigate(`/o/${org.slug}/datasets?inbox=${encodeURIComponent(filtersToParams(filters, new URLSearchParams()).toString())}`)}>Build dataset from this filter</Button>
            ) : null}
            {selected.size ? (
              <div className="bulk-bar" role="toolbar" aria-label="Selection actions">
                <span>{selected.size} selected</span>
                {canTriage ? (
                  <>
                    <Button size="sm" onClick={() => setLabelOpen(true)}>Label</Button>
                    <Button size="sm" onClick={() => void triage.claim([...selected], true)}>Claim</Button>
                    <Button size="sm" variant="danger" onClick={() => { const ids = [...selected]; clear(); void triage.dismiss(ids); }}>Dismiss</Button>
                  </>
                ) : null}
                <Button size="sm" variant="ghost" onClick={clear}>Clear</Button>
              </div>
            ) : (
              <span className="muted small">Press <kbd>?</kbd> for shortcuts</span>
            )}
            <span className="grow" />
            {canAdd ? (
              <Button size="sm" variant="primary" onClick={() => setAdding(true)} title="Add feedback by hand (n)">New feedback</Button>
            ) : null}
            <span className="online" aria-label="Online now"><AvatarStack people={presence.online} max={6} label={`Online: ${presence.online.map((p) => p.name).join(", ")}`} /></span>
          </div>
          {inbox.isPending ? (
            <div className="skeleton-list" aria-busy>{Array.from({ length: 8 }, (_, i) => <div key={i} className="skeleton-row" />)}</div>
          ) : inbox.error ? (
            <ErrorState error={inbox.error} retry={() => void inbox.refetch()} />
          ) : rows.length === 0 ? (
            <EmptyState title={activeFilterCount(filters) ? "Nothing matches these filters." : "No feedback yet."}>
              {activeFilterCount(filters) ? "Try removing a filter." : "New feedback appears here the moment it arrives."}
            </EmptyState>
          ) : (
            <FeedbackList
              rows={rows}
              cursor={cursor}
              openId={feedbackId ?? null}
              selected={selected}
              viewers={presence.byItem}
              members={members}
              me={me.userId}
              hasMore={!!inbox.hasNextPage}
              loadingMore={inbox.isFetchingNextPage}
              loadMore={() => void inbox.fetchNextPage()}
              onActivate={(id) => { setCursor(id); open(id); }}
              onToggle={toggle}
              scrollToCursor={scrollTick}
            />
          )}
        </section>
        {feedbackId ? (
          <FeedbackPanel
            key={feedbackId}
            id={feedbackId}
            orgSlug={org.slug}
            me={me.userId}
            canTriage={canTriage}
            canRequestCase={canRequestCase}
            members={members}
            viewers={viewersOfOpen}
            onClose={close}
            onCreateCase={setCreatingFor}
            onClaim={(id, claim) => void triage.claim([id], claim)}
            onDismiss={(id) => void triage.dismiss([id])}
            onTriaged={(id) => void triage.markTriaged([id])}
            onLabel={() => { setCursor(feedbackId); clear(); setLabelOpen(true); }}
            onRemoveLabel={(id, l) => void triage.setLabel([id], l, false)}
          />
        ) : null}
      </div>
      <LabelDialog open={labelOpen} count={targets().length} known={knownLabels} onClose={() => setLabelOpen(false)} onApply={(l) => void triage.setLabel(targets(), l, true)} />
      <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
      {canAdd && (adding || addDialogUsed) ? (
        <Suspense fallback={null}>
          <NewFeedbackDialog key={org.org_id} open={adding} orgId={org.org_id} knownLabels={knownLabels} models={models} onClose={() => setAdding(false)} onAdded={onAdded} />
        </Suspense>
      ) : null}
      <CreateCaseDialog feedbackId={creatingFor} orgSlug={org.slug} onClose={() => setCreatingFor(null)} />
    </div>
  );
}

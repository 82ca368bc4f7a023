import { memo, useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode, type RefObject } from "react";
import * as Y from "yjs";
import { useQueryClient } from "@tanstack/react-query";
import { datasetDocId, datasetFieldName, datasetFieldText, hasDatasetField, type DatasetItemField } from "@review/shared/yjs/dataset";
import { mergeLoaded, rpcPersistence } from "@review/shared/yjs/persistence";
import { Avatar } from "../../components/ui/Avatar.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { EmptyState } from "../../components/ui/Field.tsx";
import { VirtualTbody, type MeasureProps } from "../../components/VirtualTbody.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { supabase } from "../../lib/supabase.ts";
import { openChannel } from "../../lib/realtime.ts";
import { messageOf, unwrap } from "../../lib/errors.ts";
import { AnswerEditor, AuthorshipLegend, AuthorshipToggle, RoomPresence, seedUpdate, useAuthorship, useCollabRoom, useShowAuthorship, type CollabRoom, type Participant } from "../collab/index.ts";
import { useCurrentOrg, useMe, useMembers } from "../orgs/index.ts";
import { datasetKeys, useItemMutations, type DatasetItem, type DatasetVersion } from "./queries.ts";

const LABEL: Record<DatasetItemField, string> = { query: "input", context: "context", expected: "expected answer" };
type Open = { itemId: string; field: DatasetItemField };

/** Re-renders at most once per animation frame while the document changes (edits, loads, peers' updates). */
function useDocChanges(doc: Y.Doc | undefined): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!doc) return;
    let frame = 0;
    const onUpdate = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setTick((t) => t + 1);
      });
    };
    doc.on("update", onUpdate);
    setTick((t) => t + 1);
    return () => {
      doc.off("update", onUpdate);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [doc]);
  return tick;
}

/**
 * Before publishing: everything this browser holds of the draft is in the log. Its own edits are stored
 * by the provider; a peer's last keystrokes may have reached this browser (Realtime) before the peer's
 * own append did, so what the log lacks of this document is appended too (Yjs applies the duplicate,
 * if the peer's append lands as well, once). Those items keep their writer's client id, so authorship
 * still names the peer.
 */
export async function storeEverythingSeen(room: CollabRoom): Promise<void> {
  await room.provider.whenPersisted();
  const persistence = rpcPersistence(supabase as never);
  const docId = room.provider.options.id;
  const stored = new Y.Doc();
  try {
    Y.applyUpdate(stored, mergeLoaded(await persistence.load(docId)));
    if (Y.equalSnapshots(Y.snapshot(stored), Y.snapshot(room.doc))) return;
    await persistence.append(docId, Y.encodeStateAsUpdate(room.doc, Y.encodeStateVector(stored)), room.doc.clientID);
  } finally {
    stored.destroy();
  }
}

/**
 * A draft's items, co-edited live: their texts are the document `dataset:<version id>` (one Y.Text per
 * item and field, shared/src/yjs/dataset.ts), shown as they change for everyone who may read the
 * dataset; people who may edit it open a field in the editor, with their peers' cursors, who is in which
 * field, and who wrote what. A field nobody has opened is its row's text; opening it seeds the document
 * from the row (deterministically, so two editors opening it at once write it once). The worker copies
 * the document into the rows, and publishing waits for that copy (usePublish). Which items exist stays
 * in rows: adding and removing items works as before.
 */
export function DraftItems({ version, items, editable, roomRef }: { version: DatasetVersion; items: DatasetItem[]; editable: boolean; roomRef: RefObject<CollabRoom | null> }) {
  const org = useCurrentOrg();
  const me = useMe(org.org_id);
  const { byId: members } = useMembers(org.org_id);
  const docId = datasetDocId(version.id);
  const { session, status, synced, participants } = useCollabRoom({ docId, me });
  const doc = session?.doc;
  useDocChanges(doc);
  const [open, setOpen] = useState<Open | null>(null);
  const [showAuthorship, setShowAuthorship] = useShowAuthorship();
  useEffect(() => {
    roomRef.current = session;
    return () => {
      roomRef.current = null;
    };
  }, [session, roomRef]);
  // The version as it changes: published by someone else (this page turns read-only), the worker's copy
  // (the rows the export and the diff read), and what holds publishing back.
  // (The document's appends are counted off this row, so typing in the draft sends no change here.)
  const qc = useQueryClient();
  useEffect(() => {
    let last = "";
    return openChannel(`dataset-version:${version.id}`, {
      setup: (ch) =>
        ch.on("postgres_changes", { event: "UPDATE", schema: "public", table: "dataset_versions", filter: `id=eq.${version.id}` }, (msg) => {
          const v = msg.new as { status?: string; doc_stored_seq?: number; doc_problems?: string[]; item_count?: number };
          const seen = JSON.stringify([v.status, v.doc_stored_seq, v.doc_problems, v.item_count]);
          if (seen === last) return;
          last = seen;
          void qc.invalidateQueries({ queryKey: datasetKeys.versions(org.org_id) });
          void qc.invalidateQueries({ queryKey: datasetKeys.items(version.id) });
        }),
      onSubscribed: (_ch, again) => {
        if (again) void qc.invalidateQueries({ queryKey: datasetKeys.versions(org.org_id) });
      },
    });
  }, [version.id, org.org_id, qc]);

  // Which field each person is in, from their awareness (the names are their profiles: participants).
  const editingBy = useMemo(() => {
    const out = new Map<string, Participant[]>();
    if (!session) return out;
    const states = session.awareness.getStates();
    for (const p of participants) {
      const editing = states.get(p.clientId)?.editing;
      if (p.isMe || typeof editing !== "string") continue;
      out.set(editing, [...(out.get(editing) ?? []), p]);
    }
    return out;
  }, [participants, session]);

  const openName = open ? datasetFieldName(open.itemId, open.field) : null;
  const ytext = session && openName && synced && hasDatasetField(session.doc, open!.itemId, open!.field) ? session.doc.getText(openName) : undefined;
  const { who, legend } = useAuthorship({ docId, ytext, myClientId: session?.doc.clientID, myUserId: me.userId, members, enabled: showAuthorship && !!ytext });

  useEffect(() => {
    if (!session) return;
    session.awareness.setLocalStateField("editing", openName);
  }, [session, openName]);
  // Not an editor (any more, e.g. publishing): nothing stays open.
  useEffect(() => {
    if (!editable) setOpen(null);
  }, [editable]);

  async function startEditing(item: DatasetItem, field: DatasetItemField) {
    if (!session) return;
    if (!hasDatasetField(session.doc, item.id, field)) {
      // The field's first text is its row's, read now (not the list loaded earlier).
      try {
        const row = unwrap(await supabase.from("dataset_items").select("query, context, expected").eq("id", item.id).single());
        const text = row?.[field] ?? "";
        if (!hasDatasetField(session.doc, item.id, field) && text) {
          Y.applyUpdate(session.doc, seedUpdate(docId, datasetFieldName(item.id, field), text), "seed");
        }
      } catch (err) {
        toast.error("Could not open the item", messageOf(err));
        return;
      }
    }
    // An empty field has no text to seed: the editor's first keystroke creates it.
    session.doc.getText(datasetFieldName(item.id, field));
    setOpen({ itemId: item.id, field });
  }
  // Stable for the rows (memoized below), always calling the newest startEditing.
  const startRef = useRef(startEditing);
  startRef.current = startEditing;
  const onEdit = useCallback((item: DatasetItem, field: DatasetItemField) => void startRef.current(item, field), []);

  // The open item's row: kept rendered when scrolled away, and named in the editor's label.
  const openIndex = useMemo(() => (open ? items.findIndex((i) => i.id === open.itemId) : -1), [items, open]);
  const textOf = (item: DatasetItem, field: DatasetItemField): string => (doc ? datasetFieldText(doc, item.id, field) : undefined) ?? item[field] ?? "";

  // Only the open field has an editor; the other rows get none and re-render only when their texts or
  // who is in them change, not on every keystroke anywhere in the draft (drafts reach 10,000 items).
  const editor = open && session && openName ? (
    <>
      <AnswerEditor ytext={session.doc.getText(openName)} awareness={session.awareness} editable={editable} label={`${LABEL[open.field][0]!.toUpperCase()}${LABEL[open.field].slice(1)} ${(items[openIndex]?.position ?? 0) + 1}`} authors={who} />
      <div className="row">
        <Button size="sm" variant="ghost" onClick={() => setOpen(null)}>Done</Button>
        {showAuthorship ? <AuthorshipLegend entries={legend} /> : null}
      </div>
    </>
  ) : null;

  return (
    <>
      <div className="row" style={{ marginBottom: 8 }} aria-label="Co-editing this draft">
        <RoomPresence participants={participants} status={status} label="In this draft" />
        <span className="muted small">{editable ? "Co-edited live: open a field to edit it with your team." : "Being edited live by the dataset's editors; you are watching."}</span>
        <span className="grow" />
        {editable ? <AuthorshipToggle on={showAuthorship} onChange={setShowAuthorship} /> : null}
      </div>
      {version.doc_problems.length ? (
        <div className="form-error" role="alert" data-testid="draft-problems">Before this draft can be published: {version.doc_problems.join("; ")}.</div>
      ) : null}
      <table className="table" aria-label="Items" data-testid="dataset-items">
        <thead><tr><th style={{ width: 40 }}>#</th><th style={{ width: "40%" }}>Input</th><th>Expected answer</th>{editable ? <th /> : null}</tr></thead>
        <VirtualTbody
          rows={items}
          rowKey={(i) => i.id}
          estimateSize={72}
          colSpan={editable ? 4 : 3}
          keepIndex={openIndex}
          renderRow={(i, _index, measure) => {
            const openField = open?.itemId === i.id ? open.field : null;
            return (
              <DraftRow
                key={i.id}
                measure={measure}
                item={i}
                query={textOf(i, "query")}
                context={textOf(i, "context")}
                expected={textOf(i, "expected")}
                presence={ROW_FIELDS.map((f) => editingBy.get(datasetFieldName(i.id, f)) ?? NOBODY)}
                openField={openField}
                editor={openField ? editor : null}
                editable={editable}
                canEdit={editable && !!session && synced}
                onEdit={onEdit}
                orgId={org.org_id}
                versionId={version.id}
              />
            );
          }}
        />
      </table>
      {items.length === 0 ? <EmptyState title="No items in this version." /> : null}
      {editable ? <AddItem orgId={org.org_id} versionId={version.id} nextPosition={(items.at(-1)?.position ?? -1) + 1} /> : null}
    </>
  );
}

const ROW_FIELDS: DatasetItemField[] = ["query", "context", "expected"];
const NOBODY: Participant[] = [];

type DraftRowProps = {
  /** From VirtualTbody: lets a long draft measure the row (only rows in view are rendered). */
  measure: MeasureProps;
  item: DatasetItem;
  query: string;
  context: string;
  expected: string;
  /** Who else is in each field, in ROW_FIELDS order. */
  presence: Participant[][];
  openField: DatasetItemField | null;
  editor: ReactNode;
  editable: boolean;
  canEdit: boolean;
  onEdit(item: DatasetItem, field: DatasetItemField): void;
  orgId: string;
  versionId: string;
};

const samePeople = (a: Participant[], b: Participant[]) => a.length === b.length && a.every((p, i) => p.clientId === b[i]!.clientId && p.name === b[i]!.name);

/** One item: re-rendered when its texts, its open field or the people in its fields change. */
const DraftRow = memo(function DraftRow({ measure, item, query, context, expected, presence, openField, editor, editable, canEdit, onEdit, orgId, versionId }: DraftRowProps) {
  const texts: Record<DatasetItemField, string> = { query, context, expected };
  const cell = (field: DatasetItemField) => {
    const here = presence[ROW_FIELDS.indexOf(field)]!;
    return (
      <div className="stack" data-testid={`item-${field}`}>
        {here.length ? (
          <span className="small muted" data-testid="field-presence">
            {here.map((p) => <Avatar key={p.clientId} name={p.name} color={p.color} size={16} title={`${p.name} is editing`} />)} {here.map((p) => p.name).join(", ")} editing
          </span>
        ) : null}
        {openField === field && editor ? editor : (
          <div className="row">
            <div className={field === "context" ? "muted small" : "prose"} data-testid="field-text">{texts[field] || (field === "expected" ? <span className="muted">—</span> : null)}</div>
            {canEdit ? (
              <Button size="sm" variant="ghost" aria-label={`Edit ${LABEL[field]} ${item.position + 1}`} onClick={() => onEdit(item, field)}>Edit</Button>
            ) : null}
          </div>
        )}
      </div>
    );
  };
  return (
    <tr data-testid="dataset-item" {...measure}>
      <td className="num muted">{item.position + 1}</td>
      <td>
        {cell("query")}
        {context || openField === "context" ? cell("context") : null}
      </td>
      <td>{cell("expected")}</td>
      {editable ? <td><RemoveItem orgId={orgId} versionId={versionId} item={item} /></td> : null}
    </tr>
  );
}, (a, b) =>
  a.measure.ref === b.measure.ref && a.measure["data-index"] === b.measure["data-index"] && a.item === b.item && a.query === b.query && a.context === b.context && a.expected === b.expected &&
  a.openField === b.openField && a.editor === b.editor && a.editable === b.editable && a.canEdit === b.canEdit &&
  a.onEdit === b.onEdit && a.orgId === b.orgId && a.versionId === b.versionId &&
  a.presence.every((p, i) => samePeople(p, b.presence[i]!)));

function RemoveItem({ orgId, versionId, item }: { orgId: string; versionId: string; item: DatasetItem }) {
  const { remove } = useItemMutations(orgId, versionId);
  return (
    <Button size="sm" variant="danger" busy={remove.isPending} onClick={() => remove.mutate(item.id, { onError: (err) => toast.error("Could not remove the item", messageOf(err)) })} aria-label={`Remove item ${item.position + 1}`}>
      Remove
    </Button>
  );
}

function AddItem({ orgId, versionId, nextPosition }: { orgId: string; versionId: string; nextPosition: number }) {
  const { add } = useItemMutations(orgId, versionId);
  const [query, setQuery] = useState("");
  const [expected, setExpected] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate({ position: nextPosition, query: query.trim(), expected: expected.trim() || null }, {
      onSuccess: () => { setQuery(""); setExpected(""); },
      onError: (err) => toast.error("Could not add the item", messageOf(err)),
    });
  };
  return (
    <form className="row card" onSubmit={submit} style={{ marginTop: 12 }}>
      <input className="input" placeholder="New item: the input" value={query} onChange={(e) => setQuery(e.target.value)} aria-label="New item input" />
      <input className="input" placeholder="Expected answer (optional)" value={expected} onChange={(e) => setExpected(e.target.value)} aria-label="New item expected answer" />
      <Button type="submit" busy={add.isPending} disabled={!query.trim()}>Add item</Button>
    </form>
  );
}

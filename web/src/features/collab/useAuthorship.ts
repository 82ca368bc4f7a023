import { useEffect, useMemo, useRef, useState } from "react";
import type * as Y from "yjs";
import { useQuery } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import type { Member } from "../orgs/index.ts";
import { authorDirectory, authorRuns, clientOwners, legendOf, unknownClients, type AuthorDirectory, type DocClientRow, type Run } from "./authorship.ts";

export const docClientKeys = { doc: (docId: string) => ["doc-clients", docId] as const };

/** Retries for a client id doc_clients does not know yet: a peer's edits are stored ~250 ms after they arrive. */
const RETRY_MS = [400, 1000, 2500, 6000];

type Options = { docId: string; ytext: Y.Text | undefined; myClientId: number | undefined; myUserId: string; members: Map<string, Member>; enabled: boolean };

/** The runs of the Y.Text, re-read at most once per animation frame while people type. */
function useRuns(ytext: Y.Text | undefined, enabled: boolean): Run[] {
  const [runs, setRuns] = useState<Run[]>([]);
  useEffect(() => {
    if (!ytext || !enabled) return setRuns([]);
    setRuns(authorRuns(ytext));
    let frame = 0;
    const onChange = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setRuns(authorRuns(ytext));
      });
    };
    ytext.observe(onChange);
    return () => {
      ytext.unobserve(onChange);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [ytext, enabled]);
  return runs;
}

/**
 * Who wrote what in a co-edited document, while authorship is shown: the server's record of client
 * ids (doc_clients, readable by every member of the document's organization) joined with member
 * names and colours. This browser's own client id is known locally before its first edit is stored.
 * When text from a client id the record does not know yet appears, the record is read again a few
 * times with backoff; ids that stay unknown (the seeded suggestion) are shown as the suggestion.
 */
export function useAuthorship({ docId, ytext, myClientId, myUserId, members, enabled }: Options): { who: AuthorDirectory | null; legend: ReturnType<typeof legendOf> } {
  const { data: rows, refetch, dataUpdatedAt } = useQuery({
    queryKey: docClientKeys.doc(docId),
    queryFn: async () => unwrap(await supabase.from("doc_clients").select("client_id, author, first_seen").eq("doc_id", docId)) as DocClientRow[],
    enabled,
    staleTime: 30_000,
  });
  const runs = useRuns(ytext, enabled);

  const owners = useMemo(() => {
    const o = clientOwners(rows ?? []);
    if (myClientId !== undefined && myUserId && !o.has(myClientId)) o.set(myClientId, myUserId);
    return o;
  }, [rows, myClientId, myUserId]);

  const who = useMemo(() => (enabled ? authorDirectory(owners, members) : null), [enabled, owners, members]);
  const legend = useMemo(() => (who ? legendOf(runs, who) : []), [runs, who]);

  // Per unknown client id, how many reads it has already waited for.
  const attempts = useRef(new Map<number, number>());
  const unknownKey = useMemo(() => (enabled ? unknownClients(runs, owners).sort((a, b) => a - b).join(",") : ""), [enabled, runs, owners]);
  useEffect(() => {
    if (!unknownKey) return;
    const ids = unknownKey.split(",").map(Number);
    const next = Math.min(...ids.map((id) => attempts.current.get(id) ?? 0));
    if (next >= RETRY_MS.length) return;
    const timer = setTimeout(() => {
      for (const id of ids) attempts.current.set(id, (attempts.current.get(id) ?? 0) + 1);
      void refetch();
    }, RETRY_MS[next]);
    return () => clearTimeout(timer);
    // dataUpdatedAt: after each read, look again at what is still unknown.
  }, [unknownKey, dataUpdatedAt, refetch]);

  return { who, legend };
}

import type { Logger } from "../log.ts";
import { authorizeChannel, dbRole, type ChannelPolicy, type Claims } from "./auth.ts";
import type { Channel, Connection } from "./connection.ts";
import type postgres from "postgres";
import type { Change } from "./replication.ts";

/**
 * SPEC A4: private channels are authorized again when a table their policies depend on changes
 * (`public.memberships` by default), so a member removed from an organization stops receiving its
 * channels within moments. Supabase's hosted Realtime re-evaluates policies only when the client sends
 * a new access token (supabase-js does on every token refresh) and closes a channel when its token
 * expires; a removed member keeps listening until then. This is the same check, run on every joined
 * private channel when the data behind it changes.
 *
 * Changes arrive through the server's replication stream (the table must be in the publication).
 * Deletes carry only the replica identity (a surrogate id), which does not say whose membership it was,
 * so every private channel is checked; one check serves all channels with the same claims and topic.
 */
export class Reauthorizer {
  /** Bumped once a relevant change is visible; a join whose check straddles a bump checks again. */
  epoch = 0;
  private readonly tables: Set<string>;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private sql: postgres.Sql,
    private log: Logger,
    tables: string[],
    private connections: () => Iterable<Connection>,
    private whenVisible: (xid: number | undefined) => Promise<void>,
  ) {
    this.tables = new Set(tables);
  }

  /** Called with every transaction from the replication stream. */
  async note(changes: Change[]): Promise<void> {
    const relevant = changes.find((c) => c.type !== "INSERT" && this.tables.has(`${c.relation.schema}.${c.relation.table}`));
    if (!relevant) return;
    // The check must see the change: pgoutput streams a commit a moment before it is visible.
    await this.whenVisible(relevant.xid);
    this.epoch++;
    this.schedule();
  }

  /** Policies for a join or token refresh, re-evaluated if a relevant change landed meanwhile. */
  async authorize(claims: Claims, subTopic: string): Promise<ChannelPolicy> {
    for (let i = 0; ; i++) {
      const epoch = this.epoch;
      const policy = await authorizeChannel(this.sql, claims, subTopic);
      if (epoch === this.epoch || i === 5) return policy;
    }
  }

  /** Warns when a watched table is not published: its changes would never arrive. */
  async checkPublication(publication: string): Promise<void> {
    const rows = await this.sql<{ t: string }[]>`
      select schemaname || '.' || tablename as t from pg_publication_tables where pubname = ${publication}`;
    const published = new Set(rows.map((r) => r.t));
    for (const t of this.tables) {
      const [exists] = await this.sql<{ ok: boolean }[]>`select to_regclass(${t}) is not null as ok`;
      if (exists?.ok && !published.has(t)) this.log.warn(`${t} is not in publication ${publication}: private channels are not re-authorized when it changes`);
    }
  }

  /** Runs one pass now, or one more after the current pass (never one per change). */
  schedule(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err) => this.log.error("re-authorizing private channels failed", err))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  /** Resolves when no pass is running or pending (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pass(): Promise<void> {
    const groups = new Map<string, { claims: Claims; subTopic: string; channels: { conn: Connection; ch: Channel }[] }>();
    for (const conn of this.connections()) {
      for (const ch of conn.channels.values()) {
        if (!ch.isPrivate || dbRole(ch.claims) === "service_role") continue;
        const key = `${JSON.stringify(ch.claims)}\n${ch.subTopic}`;
        const g = groups.get(key) ?? { claims: ch.claims, subTopic: ch.subTopic, channels: [] };
        g.channels.push({ conn, ch });
        groups.set(key, g);
      }
    }
    const queue = [...groups.values()];
    // A few checks at a time: the realtime pool is shared with joins and change dispatch.
    const worker = async () => {
      for (let g = queue.shift(); g; g = queue.shift()) {
        const policy = await authorizeChannel(this.sql, g.claims, g.subTopic);
        for (const { conn, ch } of g.channels) {
          if (conn.channels.get(ch.topic) !== ch || ch.claims !== g.claims) continue; // left or refreshed meanwhile
          if (!policy.broadcastRead && !policy.presenceRead) conn.shutdown(ch, `You no longer have permission to read from this Channel topic: ${ch.subTopic}`);
          else ch.policy = policy;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
  }
}

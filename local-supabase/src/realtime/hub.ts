import type postgres from "postgres";
import type { Logger } from "../log.ts";
import type { ChannelPolicy, Claims } from "./auth.ts";
import { ChangeDispatcher } from "./changes.ts";
import { topicKey, type Channel, type Connection, type Limits } from "./connection.ts";
import { TopicPresence, type PresenceState } from "./presence.ts";
import type { UserBroadcast } from "./protocol.ts";
import { Reauthorizer } from "./reauthorize.ts";
import type { Change } from "./replication.ts";

/** The single-node registry: which channels are on which topic, and each topic's presence. */
export class Hub {
  readonly connections = new Set<Connection>();
  private topics = new Map<string, Set<Channel>>();
  private presence = new Map<string, TopicPresence<Channel>>();
  readonly changes: ChangeDispatcher;
  readonly reauth: Reauthorizer;
  /** The publication postgres_changes come from (subscription-errors.ts checks tables against it). */
  publication = "supabase_realtime";

  constructor(
    readonly sql: postgres.Sql,
    readonly jwtSecret: string,
    readonly limits: Limits,
    readonly log: Logger,
    reauthorizeOn: string[] = [],
  ) {
    this.changes = new ChangeDispatcher(sql, log);
    this.reauth = new Reauthorizer(sql, log, reauthorizeOn, () => this.connections, (xid) => this.changes.untilCommitVisible(xid));
  }

  /** Every committed transaction of the publication: re-authorization first, then postgres_changes. */
  async onTransaction(changes: Change[]): Promise<void> {
    await this.reauth.note(changes).catch((err) => this.log.error("noting a change for re-authorization failed", err));
    await this.changes.dispatch(changes);
  }

  /** SPEC A3/A4: a private channel's policies, as of the latest relevant change. */
  authorize(claims: Claims, subTopic: string): Promise<ChannelPolicy> {
    return this.reauth.authorize(claims, subTopic);
  }

  addChannel(ch: Channel): void {
    const set = this.topics.get(ch.topicKey) ?? new Set<Channel>();
    set.add(ch);
    this.topics.set(ch.topicKey, set);
    if (ch.pgBindings.length) this.changes.subscribers.add(ch);
  }

  removeChannel(ch: Channel): void {
    this.untrack(ch);
    this.changes.subscribers.delete(ch);
    const set = this.topics.get(ch.topicKey);
    if (set?.delete(ch) && set.size === 0) this.topics.delete(ch.topicKey);
  }

  removeConnection(c: Connection): void {
    this.connections.delete(c);
  }

  /** SPEC B2: `except` is the sender unless it asked for self. */
  fanout(key: string, b: UserBroadcast, except: Channel | null): number {
    const set = this.topics.get(key);
    if (!set) return 0;
    const cache = new Map<string, string | Buffer>();
    let n = 0;
    for (const ch of set) {
      if (ch === except) continue;
      if (ch.isPrivate && ch.policy && !ch.policy.broadcastRead) continue;
      ch.conn.sendBroadcast({ ...b, topic: ch.topic }, cache);
      n++;
    }
    return n;
  }

  /** Broadcast to a sub-topic from outside a socket (REST API, realtime.send()). */
  broadcastTo(subTopic: string, isPrivate: boolean, event: string, payload: unknown, binary = false): number {
    const topic = `realtime:${subTopic}`;
    return this.fanout(topicKey(isPrivate, topic), { topic, event, payload, binary }, null);
  }

  presenceState(key: string): PresenceState {
    return this.presence.get(key)?.state() ?? {};
  }

  track(ch: Channel, meta: Record<string, unknown>): void {
    const tp = this.presence.get(ch.topicKey) ?? new TopicPresence<Channel>();
    this.presence.set(ch.topicKey, tp);
    const diff = tp.track(ch, ch.presenceKey, meta);
    ch.tracked = true;
    // SPEC R2: an update goes out as a leave, then a join. Phoenix sends both in one diff, but
    // realtime-js' presence adapter strips phx_ref from the current metas while handling the join,
    // so the leave in the same diff no longer matches and the old meta would stay forever.
    if (Object.keys(diff.leaves).length) this.pushDiff(ch.topicKey, { joins: {}, leaves: diff.leaves });
    this.pushDiff(ch.topicKey, { joins: diff.joins, leaves: {} });
  }

  untrack(ch: Channel): void {
    if (!ch.tracked) return;
    ch.tracked = false;
    const tp = this.presence.get(ch.topicKey);
    const diff = tp?.untrack(ch, ch.presenceKey);
    if (tp && tp.size === 0) this.presence.delete(ch.topicKey);
    if (diff) this.pushDiff(ch.topicKey, diff);
  }

  private pushDiff(key: string, diff: unknown): void {
    const set = this.topics.get(key);
    if (!set) return;
    for (const ch of set) {
      if (ch.isPrivate && ch.policy && !ch.policy.presenceRead) continue;
      ch.push("presence_diff", diff);
    }
  }
}

import type { Database } from "@review/shared/database.types";

type PublicTables = Database["public"]["Tables"];
type PublicEnums = Database["public"]["Enums"];

/**
 * A table's row as the generated types have it (`npm run gen:types`), with the columns the app knows more
 * about than Postgres does (jsonb shapes, text domains) narrowed. Feature types derive from this instead of
 * restating columns, so a column that changes or disappears in a migration fails to compile where it is
 * used, and enums (job kinds, statuses) come from the database rather than from a hand-kept copy.
 */
export type Row<T extends keyof PublicTables, Narrowed extends { [K in keyof PublicTables[T]["Row"]]?: unknown } = {}> =
  Omit<PublicTables[T]["Row"], keyof Narrowed> & Narrowed;

export type Enum<E extends keyof PublicEnums> = PublicEnums[E];

type PublicFunctions = Database["public"]["Functions"];
type ElementOf<R> = R extends ReadonlyArray<infer E> ? E : R;

/**
 * What a database function returns (one row of a set-returning function), as the generated types have
 * it, with its jsonb columns and text domains narrowed like Row<>.
 */
export type FnRow<F extends keyof PublicFunctions, Narrowed extends { [K in keyof ElementOf<PublicFunctions[F]["Returns"]>]?: unknown } = {}> =
  Omit<ElementOf<PublicFunctions[F]["Returns"]>, keyof Narrowed> & Narrowed;

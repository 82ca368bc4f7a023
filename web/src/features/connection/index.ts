/** What the router and other features use of connection/. */
export { ConnectionBadge } from "./ConnectionBadge.tsx";
export { useConnection } from "./state.ts";

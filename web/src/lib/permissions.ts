/**
 * What the UI offers each role comes from the one capability table (shared/src/domain/capabilities.ts),
 * which the database holds too and enforces; this only decides what is offered.
 */
export { can, ROLE_LABELS, ROLES, type Capability as Permission, type Role } from "@review/shared/domain/capabilities";

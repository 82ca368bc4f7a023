/** What the router and other features use of admin/. */
export { default as AdminPage } from "./AdminPage.tsx";
export { default as AuditPage } from "./AuditPage.tsx";

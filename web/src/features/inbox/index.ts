/** What the router and other features use of inbox/. */
export { default as InboxPage } from "./InboxPage.tsx";
export { dayStart, parseFilters } from "./filters.ts";

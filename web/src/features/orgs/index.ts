/** What the router and other features use of orgs/. */
export { InvitationsBanner } from "./InvitationsBanner.tsx";
export { NewOrganizationPage } from "./NewOrganizationPage.tsx";
export { OrgSwitcher } from "./OrgSwitcher.tsx";
export { useMe } from "./me.ts";
export { type Member, orgKeys, useCurrentOrg, useMembers, useMyOrganizations } from "./queries.ts";
export type { MyOrg } from "./queries.ts";

import { Suspense } from "react";
import { NavLink, useNavigate } from "react-router";
import { ValidIdsOutlet } from "./guards.tsx";
import { DropdownMenu } from "radix-ui";
import { supabase } from "../lib/supabase.ts";
import { can, type Permission } from "../lib/permissions.ts";
import { Avatar } from "../components/ui/Avatar.tsx";
import { ConnectionBadge } from "../features/connection/index.ts";
import { InvitationsBanner, OrgSwitcher, useCurrentOrg, useMe } from "../features/orgs/index.ts";
import { AlertBadge } from "../features/alerts/index.ts";
import { queryClient } from "./providers.tsx";

const NAV: Array<{ to: string; label: string; permission?: Permission }> = [
  { to: "inbox", label: "Inbox" },
  { to: "review-queues", label: "Review queues" },
  { to: "training", label: "Training data" },
  { to: "prompts", label: "Prompts" },
  { to: "datasets", label: "Datasets", permission: "org:read" },
  { to: "experiments", label: "Experiments", permission: "org:read" },
  { to: "online-eval", label: "Online eval", permission: "org:read" },
  { to: "jobs", label: "Jobs & models", permission: "org:read" },
  { to: "boards", label: "Boards", permission: "usage:read" },
  { to: "themes", label: "Themes" },
  { to: "alerts", label: "Alerts", permission: "alert:read" },
  { to: "admin", label: "Admin", permission: "member:manage" },
  { to: "audit", label: "Audit log", permission: "audit:read" },
];

/** Header with the org switcher, the role's navigation (nothing the role may not do is offered), and the connection state. */
export function Shell() {
  const org = useCurrentOrg();
  const me = useMe(org.org_id);
  const navigate = useNavigate();
  const signOut = async () => {
    await supabase.auth.signOut();
    queryClient.clear();
    navigate("/sign-in");
  };
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Review</span>
        <OrgSwitcher />
        <nav className="nav" aria-label="Main">
          {NAV.filter((n) => !n.permission || can(org.role, n.permission)).map((n) => (
            <NavLink key={n.to} to={`/o/${org.slug}/${n.to}`} className={({ isActive }) => `nav-link ${isActive ? "active" : ""}`}>{n.label}</NavLink>
          ))}
        </nav>
        <span className="grow" />
        {can(org.role, "alert:read") ? <AlertBadge orgId={org.org_id} slug={org.slug} /> : null}
        <ConnectionBadge />
        <DropdownMenu.Root>
          <DropdownMenu.Trigger className="user-button" aria-label="Account">
            <Avatar name={me.name} color={me.color} size={26} />
          </DropdownMenu.Trigger>
          <DropdownMenu.Portal>
            <DropdownMenu.Content className="menu" align="end" sideOffset={4}>
              <DropdownMenu.Label className="menu-label">{me.name}</DropdownMenu.Label>
              <DropdownMenu.Item className="menu-item" onSelect={() => void signOut()}>Sign out</DropdownMenu.Item>
            </DropdownMenu.Content>
          </DropdownMenu.Portal>
        </DropdownMenu.Root>
      </header>
      <InvitationsBanner />
      <main className="content">
        <Suspense fallback={<div className="page muted">Loading…</div>}>
          <ValidIdsOutlet />
        </Suspense>
      </main>
    </div>
  );
}

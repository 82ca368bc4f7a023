import { DropdownMenu } from "radix-ui";
import { useNavigate } from "react-router";
import { ROLE_LABELS } from "../../lib/permissions.ts";
import { useCurrentOrg, useMyOrganizations } from "./queries.ts";

export function OrgSwitcher() {
  const current = useCurrentOrg();
  const { data } = useMyOrganizations();
  const navigate = useNavigate();
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger className="org-switcher" aria-label="Switch organization">
        <span className="org-name">{current.name}</span>
        <span className="org-role">{ROLE_LABELS[current.role]}</span>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="menu" align="start" sideOffset={4}>
          <DropdownMenu.Label className="menu-label">Organizations</DropdownMenu.Label>
          {data?.map((o) => (
            <DropdownMenu.Item key={o.org_id} className="menu-item" onSelect={() => navigate(`/o/${o.slug}/inbox`)} data-current={o.org_id === current.org_id || undefined}>
              <span>{o.name}</span>
              <span className="muted small">{ROLE_LABELS[o.role]}</span>
            </DropdownMenu.Item>
          ))}
          <DropdownMenu.Separator className="menu-sep" />
          <DropdownMenu.Item className="menu-item" onSelect={() => navigate("/new-organization")}>New organization…</DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

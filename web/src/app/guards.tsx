import type { ReactNode } from "react";
import { Navigate, Outlet, useLocation, useParams, useRouteError } from "react-router";
import { useSession } from "../features/auth/index.ts";
import { useMyOrganizations } from "../features/orgs/index.ts";
import { can, type Permission } from "../lib/permissions.ts";
import { EmptyState } from "../components/ui/Field.tsx";
import { messageOf } from "../lib/errors.ts";
import { isUuid } from "../lib/ids.ts";

function Splash() {
  return <div className="splash" aria-busy>Loading…</div>;
}

export function RequireSession() {
  const { session, ready } = useSession();
  const location = useLocation();
  if (!ready) return <Splash />;
  if (!session) return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  return <Outlet />;
}

/** `/` goes to the first organization, or to creating one. */
export function HomeRedirect() {
  const { data, isLoading, error } = useMyOrganizations();
  if (isLoading) return <Splash />;
  if (error) return <EmptyState title="Could not load your organizations.">{messageOf(error)}</EmptyState>;
  const last = localStorage.getItem("review:last-org");
  const org = data?.find((o) => o.slug === last) ?? data?.[0];
  return org ? <Navigate to={`/o/${org.slug}/inbox`} replace /> : <Navigate to="/new-organization" replace />;
}

export function RequireOrg({ children }: { children: ReactNode }) {
  const { slug } = useParams();
  const { data, isLoading } = useMyOrganizations();
  if (isLoading) return <Splash />;
  const org = data?.find((o) => o.slug === slug);
  if (!org) return <div className="page"><EmptyState title="No access to this organization.">It does not exist or you are not a member. <a href="/">Go to your workspace</a></EmptyState></div>;
  localStorage.setItem("review:last-org", org.slug);
  return <>{children}</>;
}

/** A route a role may not use is not offered; if typed in, it explains instead of failing. */
export function RequirePermission({ permission, children }: { permission: Permission; children: ReactNode }) {
  const { slug } = useParams();
  const { data } = useMyOrganizations();
  const role = data?.find((o) => o.slug === slug)?.role;
  if (!can(role, permission)) return <div className="page"><EmptyState title="Your role does not include this page." /></div>;
  return <>{children}</>;
}

/**
 * The organization's pages, once their URL's ids can name a row: a mangled link (`/cases/not-an-id`) is a
 * page that does not exist, said here once for every route, instead of each query sending the database an
 * id it refuses with "invalid input syntax for type uuid".
 */
export function ValidIdsOutlet() {
  const params = useParams();
  const bad = Object.entries(params).some(([name, value]) => name.endsWith("Id") && value !== undefined && !isUuid(value));
  if (bad) return <div className="page"><EmptyState title="This page does not exist here.">The link's id is not one this workspace uses.</EmptyState></div>;
  return <Outlet />;
}

export function RouteError() {
  const error = useRouteError();
  return <div className="page"><EmptyState title="Something went wrong on this page.">{messageOf(error)} <a href="/">Reload the workspace</a></EmptyState></div>;
}

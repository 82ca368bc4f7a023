import { lazy } from "react";
import { createBrowserRouter, Navigate } from "react-router";
import { SignInPage, SignUpPage } from "../features/auth/AuthPages.tsx";
import { NewOrganizationPage } from "../features/orgs/NewOrganizationPage.tsx";
import { HomeRedirect, RequireOrg, RequirePermission, RequireSession, RouteError } from "./guards.tsx";
import { Shell } from "./Shell.tsx";

// Every screen is its own chunk: the first route downloads only the shell and the inbox.
const InboxPage = lazy(() => import("../features/inbox/InboxPage.tsx"));
const CaseRoomPage = lazy(() => import("../features/cases/CaseRoomPage.tsx"));
const TrainingPage = lazy(() => import("../features/training/TrainingPage.tsx"));
const JobsPage = lazy(() => import("../features/jobs/JobsPage.tsx"));
const JobDetailPage = lazy(() => import("../features/jobs/JobDetailPage.tsx"));
const BoardsPage = lazy(() => import("../features/boards/BoardsPage.tsx"));
const AdminPage = lazy(() => import("../features/admin/AdminPage.tsx"));
const AuditPage = lazy(() => import("../features/admin/AuditPage.tsx"));
const PromptsPage = lazy(() => import("../features/prompts/PromptsPage.tsx"));
const PromptDetailPage = lazy(() => import("../features/prompts/PromptDetailPage.tsx"));
const PromptVersionPage = lazy(() => import("../features/prompts/VersionPage.tsx"));
const OptimizerPage = lazy(() => import("../features/prompts/OptimizerPage.tsx"));
const AlertsPage = lazy(() => import("../features/alerts/AlertsPage.tsx"));
const ThemesPage = lazy(() => import("../features/themes/ThemesPage.tsx"));

export const router = createBrowserRouter([
  { path: "/sign-in", element: <SignInPage /> },
  { path: "/sign-up", element: <SignUpPage /> },
  {
    element: <RequireSession />,
    errorElement: <RouteError />,
    children: [
      { path: "/", element: <HomeRedirect /> },
      { path: "/new-organization", element: <NewOrganizationPage /> },
      {
        path: "/o/:slug",
        element: <RequireOrg><Shell /></RequireOrg>,
        errorElement: <RouteError />,
        children: [
          { index: true, element: <Navigate to="inbox" replace /> },
          { path: "inbox/:feedbackId?", element: <InboxPage /> },
          { path: "cases/:caseId", element: <CaseRoomPage /> },
          { path: "training", element: <TrainingPage /> },
          { path: "prompts", element: <PromptsPage /> },
          { path: "prompts/:promptId", element: <PromptDetailPage /> },
          { path: "prompts/:promptId/versions/:versionId", element: <PromptVersionPage /> },
          { path: "prompts/:promptId/optimize", element: <OptimizerPage /> },
          { path: "jobs", element: <RequirePermission permission="org:read"><JobsPage /></RequirePermission> },
          { path: "jobs/:jobId", element: <RequirePermission permission="org:read"><JobDetailPage /></RequirePermission> },
          { path: "boards", element: <RequirePermission permission="usage:read"><BoardsPage /></RequirePermission> },
          { path: "alerts", element: <RequirePermission permission="alert:read"><AlertsPage /></RequirePermission> },
          { path: "themes", element: <ThemesPage /> },
          { path: "admin", element: <RequirePermission permission="member:manage"><AdminPage /></RequirePermission> },
          { path: "audit", element: <RequirePermission permission="audit:read"><AuditPage /></RequirePermission> },
        ],
      },
    ],
  },
  { path: "*", element: <Navigate to="/" replace /> },
]);

import { lazy } from "react";
import { createBrowserRouter, Navigate } from "react-router";
import { SignInPage, SignUpPage } from "../features/auth/index.ts";
import { NewOrganizationPage } from "../features/orgs/index.ts";
import { HomeRedirect, RequireOrg, RequirePermission, RequireSession, RouteError } from "./guards.tsx";
import { Shell } from "./Shell.tsx";

// Every screen is its own chunk: the first route downloads only the shell and the inbox.
const InboxPage = lazy(() => import("../features/inbox/index.ts").then((m) => ({ default: m.InboxPage })));
const CaseRoomPage = lazy(() => import("../features/cases/index.ts").then((m) => ({ default: m.CaseRoomPage })));
const TrainingPage = lazy(() => import("../features/training/index.ts").then((m) => ({ default: m.TrainingPage })));
const JobsPage = lazy(() => import("../features/jobs/index.ts").then((m) => ({ default: m.JobsPage })));
const JobDetailPage = lazy(() => import("../features/jobs/index.ts").then((m) => ({ default: m.JobDetailPage })));
const BoardsPage = lazy(() => import("../features/boards/index.ts").then((m) => ({ default: m.BoardsPage })));
const AdminPage = lazy(() => import("../features/admin/index.ts").then((m) => ({ default: m.AdminPage })));
const AuditPage = lazy(() => import("../features/admin/index.ts").then((m) => ({ default: m.AuditPage })));
const PromptsPage = lazy(() => import("../features/prompts/index.ts").then((m) => ({ default: m.PromptsPage })));
const PromptDetailPage = lazy(() => import("../features/prompts/index.ts").then((m) => ({ default: m.PromptDetailPage })));
const PromptVersionPage = lazy(() => import("../features/prompts/index.ts").then((m) => ({ default: m.PromptVersionPage })));
const OptimizerPage = lazy(() => import("../features/prompts/index.ts").then((m) => ({ default: m.OptimizerPage })));
const ReviewQueuesPage = lazy(() => import("../features/review-queues/index.ts").then((m) => ({ default: m.ReviewQueuesPage })));
const ReviewQueuePage = lazy(() => import("../features/review-queues/index.ts").then((m) => ({ default: m.ReviewQueuePage })));
const DatasetsPage = lazy(() => import("../features/datasets/index.ts").then((m) => ({ default: m.DatasetsPage })));
const DatasetDetailPage = lazy(() => import("../features/datasets/index.ts").then((m) => ({ default: m.DatasetDetailPage })));
const ExperimentsPage = lazy(() => import("../features/datasets/index.ts").then((m) => ({ default: m.ExperimentsPage })));
const ExperimentPage = lazy(() => import("../features/datasets/index.ts").then((m) => ({ default: m.ExperimentPage })));
const OnlineEvaluatorsPage = lazy(() => import("../features/datasets/index.ts").then((m) => ({ default: m.OnlineEvaluatorsPage })));
const AlertsPage = lazy(() => import("../features/alerts/index.ts").then((m) => ({ default: m.AlertsPage })));
const ThemesPage = lazy(() => import("../features/themes/index.ts").then((m) => ({ default: m.ThemesPage })));

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
          { path: "review-queues", element: <ReviewQueuesPage /> },
          { path: "review-queues/:queueId", element: <ReviewQueuePage /> },
          { path: "prompts", element: <PromptsPage /> },
          { path: "prompts/:promptId", element: <PromptDetailPage /> },
          { path: "prompts/:promptId/versions/:versionId", element: <PromptVersionPage /> },
          { path: "prompts/:promptId/optimize", element: <OptimizerPage /> },
          { path: "jobs", element: <RequirePermission permission="org:read"><JobsPage /></RequirePermission> },
          { path: "jobs/:jobId", element: <RequirePermission permission="org:read"><JobDetailPage /></RequirePermission> },
          { path: "datasets", element: <RequirePermission permission="org:read"><DatasetsPage /></RequirePermission> },
          { path: "datasets/:datasetId", element: <RequirePermission permission="org:read"><DatasetDetailPage /></RequirePermission> },
          { path: "experiments", element: <RequirePermission permission="org:read"><ExperimentsPage /></RequirePermission> },
          { path: "experiments/:experimentId", element: <RequirePermission permission="org:read"><ExperimentPage /></RequirePermission> },
          { path: "online-eval", element: <RequirePermission permission="org:read"><OnlineEvaluatorsPage /></RequirePermission> },
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

/** What the router and other features use of jobs/. */
export { default as JobsPage } from "./JobsPage.tsx";
export { default as JobDetailPage } from "./JobDetailPage.tsx";
export { useCancelJob, useJob, useJobEvents, useJobEventsLive, useJobs, useJobsLive, useStartJob } from "./queries.ts";

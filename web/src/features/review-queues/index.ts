/** What the router and other features use of review-queues/. */
export { WORK_SHORTCUTS } from "./keyboard.ts";
export { default as ReviewQueuesPage } from "./QueuesPage.tsx";
export { default as ReviewQueuePage } from "./QueuePage.tsx";

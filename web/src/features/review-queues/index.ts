// The review-queues feature's surface: pages for the router, and the shortcuts for help screens.
export { WORK_SHORTCUTS } from "./keyboard.ts";
export const QueuesPage = () => import("./QueuesPage.tsx");
export const QueuePage = () => import("./QueuePage.tsx");

/** What the router and other features use of training/. */
export { useTagCounts } from "./queries.ts";
export { default as TrainingPage } from "./TrainingPage.tsx";

// The datasets & experiments feature's surface: pages are lazy-loaded by the router.
export { filterFromParams, describeFilter } from "./filter.ts";
export type { Dataset, DatasetVersion, DatasetItem, Evaluator, Experiment, ExperimentResultRow } from "./queries.ts";

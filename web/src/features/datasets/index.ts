// The datasets & experiments feature's surface: pages are lazy-loaded by the router.
export { filterFromParams, describeFilter } from "./filter.ts";
export type { Dataset, DatasetVersion, DatasetItem, Evaluator, Experiment, ExperimentResultRow } from "./queries.ts";
export { default as DatasetsPage } from "./DatasetsPage.tsx";
export { default as DatasetDetailPage } from "./DatasetDetailPage.tsx";
export { default as ExperimentsPage } from "./ExperimentsPage.tsx";
export { default as ExperimentPage } from "./ExperimentPage.tsx";
export { default as OnlineEvaluatorsPage } from "./OnlineEvaluators.tsx";

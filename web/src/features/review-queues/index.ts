/** What the router and other features use of review-queues/. */
export { WORK_SHORTCUTS } from "./keyboard.ts";
export { default as ReviewQueuesPage } from "./QueuesPage.tsx";
export { default as ReviewQueuePage } from "./QueuePage.tsx";
// Experiment queues: the finals as the report computes them, and people next to evaluators.
export { useQueueFinals, useExperimentQueues, showFinal } from "./finals.ts";
export { useRubrics, useCreateQueue, experimentSource, type ReviewQueue, type ScoreConfig } from "./queries.ts";
export { default as HumanVsEvaluators } from "./HumanVsEvaluators.tsx";
// New queues over an experiment's outputs, from the queues page or the experiment page.
export { defaultOutputs, ExperimentOutputsFields, outputsValid, outputVariants, RubricChecklist, rubricsForItems, type OutputsChoice } from "./ExperimentOutputs.tsx";

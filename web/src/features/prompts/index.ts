/** What the router and other features use of prompts/. */
export { default as PromptsPage } from "./PromptsPage.tsx";
export { default as PromptDetailPage } from "./PromptDetailPage.tsx";
export { default as PromptVersionPage } from "./VersionPage.tsx";
export { default as OptimizerPage } from "./OptimizerPage.tsx";

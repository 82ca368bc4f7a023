export { useThemes, type Theme } from "./queries.ts";

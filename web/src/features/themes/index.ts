export { useThemes, type Theme } from "./queries.ts";
export { default as ThemesPage } from "./ThemesPage.tsx";

/** What the router and other features use of boards/. */
export { default as BoardsPage } from "./BoardsPage.tsx";

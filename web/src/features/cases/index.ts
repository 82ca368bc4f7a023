/** What the router and other features use of cases/. */
export { CreateCaseDialog } from "./CreateCaseDialog.tsx";
export { default as CaseRoomPage } from "./CaseRoomPage.tsx";

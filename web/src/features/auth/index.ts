/** What the router and other features use of auth/. */
export { SignInPage, SignUpPage } from "./AuthPages.tsx";
export { startSessionSync, useSession, useSessionStore, useUserId } from "./session.ts";

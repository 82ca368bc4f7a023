export { startStack, type Stack, type StackInfo, type StackOptions } from "./stack.ts";
export { createLogger, type Logger } from "./log.ts";
export { verifyJwt, signRoleKey } from "./keys.ts";
export { freePort } from "./net.ts";
export { viaSocket } from "./postgres.ts";

import { ConsoleEmailDriver, type EmailDriver } from "@supabase/lite";
import type { Logger } from "../log.ts";
import type { MailStore } from "./catcher.ts";

/** lite's email driver seam, delivering into the local mail catcher instead of an SMTP server. */
export function catcherDriver(store: MailStore): EmailDriver {
  return {
    async send(message) {
      store.deliver(message);
    },
  };
}

/** With the catcher off (`[inbucket] enabled = false`): lite's own driver, which prints each email to the log. */
export function logDriver(log: Logger): EmailDriver {
  return new ConsoleEmailDriver({ logger: { info: (message: string) => log.info(message) } });
}

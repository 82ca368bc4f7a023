import type { EmailDriver } from "@supabase/lite";
import type { MailStore } from "./catcher.ts";

/** lite's email driver seam, delivering into the local mail catcher instead of an SMTP server. */
export function catcherDriver(store: MailStore): EmailDriver {
  return {
    async send(message) {
      store.deliver(message);
    },
  };
}

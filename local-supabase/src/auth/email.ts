import type { EmailDriver, EmailMessage } from "@supabase/lite";
import type { AuthLimits } from "./rate-limit.ts";

/**
 * Wraps the driver lite sends Auth's emails through (the mail catcher locally, an SMTP server or
 * provider elsewhere) with two things GoTrue does around its mailer:
 *
 * - Links point at the Auth server. lite builds `{site_url}/auth/v1/verify?token=…&type=…&redirect_to=…`,
 *   on the web app's origin, where nothing answers /auth/v1; GoTrue builds them on its own external
 *   URL (API_EXTERNAL_URL, the gateway), whose /verify checks the token and redirects to site_url.
 *   So the links lite renders are moved to the gateway, token and redirect unchanged.
 * - Every email sent counts against `[auth.rate_limit] email_sent`, which the gateway checks before a
 *   request that may send one (auth/index.ts).
 */
export class AuthEmailDriver implements EmailDriver {
  /** The gateway's URL; known once it listens (port 0 in tests). */
  apiUrl: string | null = null;
  private readonly liteVerify: string;

  constructor(
    private readonly inner: EmailDriver,
    siteUrl: string,
    private readonly limits: AuthLimits,
  ) {
    this.liteVerify = new URL("/auth/v1/verify", siteUrl).href;
  }

  async send(message: EmailMessage): Promise<void> {
    this.limits.emailSent.record();
    await this.inner.send({ ...message, text: this.rebase(message.text), html: this.rebase(message.html) });
  }

  private rebase(body: string | undefined): string | undefined {
    if (!body || !this.apiUrl) return body;
    return body.replaceAll(`${this.liteVerify}?`, `${this.apiUrl}/auth/v1/verify?`);
  }
}

import { useEffect, useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { supabase } from "../../lib/supabase.ts";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { authMessage, linkErrorFromUrl } from "./messages.ts";
import { useSession } from "./session.ts";

// A confirmation link that failed lands on the app with its reason in the fragment; read it before
// the router moves on to the sign-in page, and show it on that page's first visit only.
const linkError = typeof window === "undefined" ? null : linkErrorFromUrl(window.location.hash);
let linkErrorShown = false;

function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand brand-lg">Review workspace</div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function SignInPage() {
  const { session } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(() => (linkErrorShown ? null : linkError));
  useEffect(() => {
    linkErrorShown = true;
  }, []);
  const [unconfirmed, setUnconfirmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const next = (location.state as { from?: string } | null)?.from ?? "/";
  if (session) return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const { error } = await supabase.auth.signInWithPassword({ email: email.trim(), password });
    setBusy(false);
    setUnconfirmed(error?.code === "email_not_confirmed");
    if (error) setError(authMessage(error));
    else navigate(next, { replace: true });
  }

  return (
    <AuthFrame title="Sign in">
      <form onSubmit={submit} className="stack">
        <Field label="Email"><input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus /></Field>
        <Field label="Password"><input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></Field>
        {error ? <p className="form-error" role="alert">{error}</p> : null}
        {unconfirmed ? <ResendLink email={email.trim()} /> : null}
        <Button variant="primary" type="submit" busy={busy}>Sign in</Button>
      </form>
      <p className="muted">No account? <Link to="/sign-up">Create one</Link></p>
    </AuthFrame>
  );
}

export function SignUpPage() {
  const { session } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (session) return <Navigate to="/" replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const { data, error } = await supabase.auth.signUp({ email: email.trim(), password, options: { data: { display_name: name.trim() } } });
    setBusy(false);
    if (error) return setError(authMessage(error));
    // With email confirmation on (the default, as on Supabase) no session comes back until the link
    // in the email is followed. The same answer comes for an address that already has an account,
    // so the page says the same thing either way.
    if (!data.session) setSentTo(email.trim());
    else navigate("/", { replace: true });
  }

  if (sentTo) {
    return (
      <AuthFrame title="Check your email">
        <div className="stack">
          <p role="status">
            We sent a link to <strong>{sentTo}</strong>. Follow it to confirm your address and finish signing up; it signs you in.
          </p>
          <ResendLink email={sentTo} />
        </div>
        <p className="muted">Confirmed already? <Link to="/sign-in">Sign in</Link></p>
      </AuthFrame>
    );
  }

  return (
    <AuthFrame title="Create your account">
      <form onSubmit={submit} className="stack">
        <Field label="Your name"><input autoComplete="name" required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} autoFocus /></Field>
        <Field label="Email"><input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} /></Field>
        <Field label="Password" hint="At least 8 characters, including a letter and a digit"><input type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} /></Field>
        {error ? <p className="form-error" role="alert">{error}</p> : null}
        <Button variant="primary" type="submit" busy={busy}>Create account</Button>
      </form>
      <p className="muted">Already have an account? <Link to="/sign-in">Sign in</Link></p>
    </AuthFrame>
  );
}

/** Asks Auth for another confirmation link for an address that has not followed its first one. */
function ResendLink({ email }: { email: string }) {
  const [state, setState] = useState<{ busy: boolean; note: string | null; failed: boolean }>({ busy: false, note: null, failed: false });
  async function resend() {
    setState({ busy: true, note: null, failed: false });
    const { error } = await supabase.auth.resend({ type: "signup", email });
    setState(error ? { busy: false, note: authMessage(error), failed: true } : { busy: false, note: `If ${email} is waiting for confirmation, a new link is on its way.`, failed: false });
  }
  return (
    <div className="stack">
      <Button type="button" busy={state.busy} onClick={() => void resend()} disabled={!email}>Send the link again</Button>
      {state.note ? <p className={state.failed ? "form-error" : "form-notice"} role={state.failed ? "alert" : "status"}>{state.note}</p> : null}
    </div>
  );
}

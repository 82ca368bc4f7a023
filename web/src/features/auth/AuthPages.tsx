import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { supabase } from "../../lib/supabase.ts";
import { messageOf } from "../../lib/errors.ts";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { useSession } from "./session.ts";

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
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = (location.state as { from?: string } | null)?.from ?? "/";
  if (session) return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const { error } = await supabase.auth.signInWithPassword({ email: email.trim(), password });
    setBusy(false);
    if (error) setError(error.message === "Invalid login credentials" ? "That email and password do not match an account." : messageOf(error));
    else navigate(next, { replace: true });
  }

  return (
    <AuthFrame title="Sign in">
      <form onSubmit={submit} className="stack">
        <Field label="Email"><input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus /></Field>
        <Field label="Password"><input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></Field>
        {error ? <p className="form-error" role="alert">{error}</p> : null}
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
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (session) return <Navigate to="/" replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const { data, error } = await supabase.auth.signUp({ email: email.trim(), password, options: { data: { display_name: name.trim() } } });
    setBusy(false);
    if (error) return setError(messageOf(error));
    // Projects with email confirmation return no session until the link is followed.
    if (!data.session) setNotice("Check your email to confirm your address, then sign in.");
    else navigate("/", { replace: true });
  }

  return (
    <AuthFrame title="Create your account">
      <form onSubmit={submit} className="stack">
        <Field label="Your name"><input autoComplete="name" required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} autoFocus /></Field>
        <Field label="Email"><input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} /></Field>
        <Field label="Password" hint="At least 8 characters"><input type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} /></Field>
        {error ? <p className="form-error" role="alert">{error}</p> : null}
        {notice ? <p className="form-notice" role="status">{notice}</p> : null}
        <Button variant="primary" type="submit" busy={busy}>Create account</Button>
      </form>
      <p className="muted">Already have an account? <Link to="/sign-in">Sign in</Link></p>
    </AuthFrame>
  );
}

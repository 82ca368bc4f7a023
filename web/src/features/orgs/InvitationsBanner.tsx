import { Button } from "../../components/ui/Button.tsx";
import { messageOf } from "../../lib/errors.ts";
import { ROLE_LABELS } from "../../lib/permissions.ts";
import { useAcceptInvitation, useMyInvitations } from "./queries.ts";

/**
 * Invitations to other organizations, each with Accept. Joining is the invitee's own act: an admin's
 * invitation alone adds nobody (nor tells the admin whether the address has an account).
 */
export function InvitationsBanner({ onAccepted }: { onAccepted?: (orgId: string) => void }) {
  const { data } = useMyInvitations();
  const accept = useAcceptInvitation();
  if (!data?.length) return null;
  return (
    <section className="invitations-banner" aria-label="Invitations">
      {data.map((i) => (
        <div key={i.id} className="row">
          <span>
            {i.invited_by_name ? `${i.invited_by_name} invited you` : "You are invited"} to <strong>{i.org_name}</strong> as {ROLE_LABELS[i.role]}.
          </span>
          <Button
            variant="primary"
            busy={accept.isPending && accept.variables === i.id}
            onClick={() => accept.mutate(i.id, { onSuccess: (m) => onAccepted?.(m.org_id) })}
          >
            Accept
          </Button>
        </div>
      ))}
      {accept.error ? <p className="form-error" role="alert">{messageOf(accept.error)}</p> : null}
    </section>
  );
}

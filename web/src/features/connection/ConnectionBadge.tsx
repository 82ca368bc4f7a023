import { useEffect } from "react";
import { Tooltip } from "radix-ui";
import { summarize, useConnection } from "./state.ts";
import { startConnectionMonitor } from "./monitor.ts";

export function ConnectionBadge() {
  useEffect(startConnectionMonitor, []);
  const { online, socket, pending, connectedOnce } = useConnection();
  const s = summarize(online, socket, Object.keys(pending).length, connectedOnce);
  return (
    <Tooltip.Root delayDuration={200}>
      <Tooltip.Trigger asChild>
        <span className={`conn conn-${s.tone}`} role="status" aria-live="polite" data-testid="connection-state">
          <span className="conn-dot" aria-hidden />
          {s.label}
        </span>
      </Tooltip.Trigger>
      <Tooltip.Portal>
        <Tooltip.Content className="tooltip" sideOffset={4}>{s.detail}</Tooltip.Content>
      </Tooltip.Portal>
    </Tooltip.Root>
  );
}

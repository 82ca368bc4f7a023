import { Tooltip } from "radix-ui";
import { initials } from "../../lib/format.ts";

export function Avatar({ name, color, size = 22, title }: { name: string; color: string; size?: number; title?: string }) {
  return (
    <Tooltip.Root delayDuration={200}>
      <Tooltip.Trigger asChild>
        <span className="avatar" style={{ background: color, width: size, height: size, fontSize: size * 0.42 }} aria-label={title ?? name} data-name={name}>
          {initials(name)}
        </span>
      </Tooltip.Trigger>
      <Tooltip.Portal>
        <Tooltip.Content className="tooltip" sideOffset={4}>{title ?? name}</Tooltip.Content>
      </Tooltip.Portal>
    </Tooltip.Root>
  );
}

export function AvatarStack({ people, max = 3, label }: { people: Array<{ key: string; name: string; color: string }>; max?: number; label?: string }) {
  if (!people.length) return null;
  const shown = people.slice(0, max);
  return (
    <span className="avatar-stack" aria-label={label ?? `Viewing: ${people.map((p) => p.name).join(", ")}`}>
      {shown.map((p) => <Avatar key={p.key} name={p.name} color={p.color} size={20} />)}
      {people.length > max ? <span className="avatar avatar-more">+{people.length - max}</span> : null}
    </span>
  );
}

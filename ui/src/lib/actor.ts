// Activity actors arrive as "<kind>:<name>" ("staff:alice", "provider:sandbox")
// or a bare system name ("billing"). People read "alice", "Sandbox" and "DigitalOcean".

export type Actor = { name: string; kind: string | null };

/** Providers whose name is not their id capitalised. */
const PROVIDER_NAMES: Record<string, string> = { digitalocean: "DigitalOcean" };

export function parseActor(actor: string): Actor {
  const i = actor.indexOf(":");
  if (i <= 0) return { name: actor, kind: null };
  const kind = actor.slice(0, i);
  const rest = actor.slice(i + 1);
  const name = kind === "provider" ? (PROVIDER_NAMES[rest] ?? rest.charAt(0).toUpperCase() + rest.slice(1)) : rest;
  return { name, kind };
}

export function actorText(actor: string): string {
  const a = parseActor(actor);
  return a.kind ? `${a.name} (${a.kind})` : a.name;
}

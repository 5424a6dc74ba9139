import type { Role } from "../api/types";

// What each role sees (API.md): admin everything; member servers only;
// billing documents and the wallet only.
export type Area = "servers" | "billing";

export function canSee(role: Role | undefined, area: Area): boolean {
  if (role === "admin") return true;
  if (area === "servers") return role === "member";
  return role === "billing";
}

export function roleLabel(role: Role): string {
  return { admin: "Administrator", member: "Member", billing: "Billing contact" }[role] ?? role;
}

import { Badge } from "@/components/ui/badge";
import { statusInfo } from "@/lib/status";

/** A server's status: colour and pulse say whether it is settled, moving or in trouble. */
export function StatusBadge({ status, testId = true }: { status: string; testId?: boolean }) {
  const info = statusInfo(status);
  return (
    <Badge
      tone={info.tone}
      dot
      pulse={info.pulse}
      {...(testId ? { "data-testid": "server-status" } : {})}
      data-status={status}
      data-tone={info.tone}
    >
      {info.label}
    </Badge>
  );
}

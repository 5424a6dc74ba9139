// Server statuses (cs-core's ServerStatus) and what the UI does with them.

export type Tone = "amber" | "green" | "grey" | "red" | "muted";

type StatusInfo = { label: string; tone: Tone; pulse: boolean };

const STATUS: Record<string, StatusInfo> = {
  provisioning: { label: "Provisioning", tone: "amber", pulse: true },
  booting: { label: "Booting", tone: "amber", pulse: true },
  rebooting: { label: "Rebooting", tone: "amber", pulse: true },
  shutting_down: { label: "Shutting down", tone: "amber", pulse: true },
  running: { label: "Running", tone: "green", pulse: false },
  offline: { label: "Offline", tone: "grey", pulse: false },
  suspended: { label: "Suspended", tone: "red", pulse: false },
  deleting: { label: "Deleting", tone: "amber", pulse: true },
  deleted: { label: "Deleted", tone: "muted", pulse: false },
  failed: { label: "Failed", tone: "red", pulse: false },
};

export function statusInfo(status: string): StatusInfo {
  return (
    STATUS[status] ?? {
      label: status.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase()),
      tone: "grey",
      pulse: false,
    }
  );
}

export const STATUS_ORDER = Object.keys(STATUS);

export type PowerAction = "boot" | "reboot" | "shutdown";

/** Which power actions the state machine allows from a status (cs-core's ServerStatus::begin). */
export function allowedActions(status: string): Record<PowerAction | "delete", boolean> {
  return {
    boot: status === "offline",
    reboot: status === "running",
    shutdown: status === "running",
    delete: status !== "deleting" && status !== "deleted",
  };
}

export function isLive(server: { deletedAt: string | null; status: string }): boolean {
  return !server.deletedAt && server.status !== "deleted";
}

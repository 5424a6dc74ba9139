import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { BackupSettingsDto, BackupSettingsInput, DataBackupListDto, RestorePreviewDto } from "@/bindings";
import { BackupsCard, backupInputErrors, scheduleLabel } from "./BackupsCard";

const settings: BackupSettingsDto = { folder: "/media/backup", everyHours: 6, choices: [0, 1, 6, 12, 24], dataFolder: "/home/me/.local/share/containerstacks" };
const backup = { file: "containerstacks-0b9f1c2e-20260131T103000Z.db", takenAt: "2026-01-31T10:30:00.000Z", sizeBytes: "3450000", size: "3.5 MB", trigger: "scheduled" };
const list: DataBackupListDto = { folder: "/media/backup", backups: [backup], failures: [], nextAt: "2026-01-31T16:30:00.000Z", running: false, folderError: null };
const contents = (customers: number, doc: string) => ({ customers, servers: 3, lastDocumentNumber: doc, lastBilledHour: "2026-01-31T12:00:00.000Z" });
const preview: RestorePreviewDto = {
  file: backup.file, takenAt: backup.takenAt, size: backup.size, backup: contents(4, "RCT-2026-000001"), current: contents(5, "RCT-2026-000002"),
  upgrades: false, asidePath: "/data/cs.db.before-restore-20260131T180000Z", warning: "Everything recorded since 2026-01-31 10:30 UTC leaves the app. The current file is kept as /data/cs.db.before-restore-20260131T180000Z",
};

describe("BackupsCard", () => {
  it("lists checked backups with date, size and result, and a failure in words", () => {
    renderWithProviders(
      <BackupsCard settings={settings} list={{ ...list, failures: [{ at: "2026-01-31T11:30:00.000Z", trigger: "scheduled", error: "The backup to /media/backup could not be written (disk full): check that the folder is reachable and has free space" }] }} />,
    );
    const table = screen.getByTestId("backup-list");
    expect(within(table).getByText("3.5 MB")).toBeTruthy();
    expect(within(table).getByText("Checked · scheduled")).toBeTruthy();
    expect(screen.getByTestId("backup-failure").textContent).toContain("disk full");
    expect(screen.getByText("Last backup failed")).toBeTruthy();
  });

  it("checks the form before saving and sends what was chosen", async () => {
    const sent: BackupSettingsInput[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "update_backup_settings") {
        const input = (args as { input: BackupSettingsInput }).input;
        sent.push(input);
        return { ...settings, ...input };
      }
      if (cmd === "list_backups") return list;
    });
    const user = userEvent.setup();
    renderWithProviders(<BackupsCard settings={{ ...settings, folder: null, everyHours: 0 }} list={{ ...list, folder: null, backups: [], nextAt: null }} />);
    expect(screen.getByTestId("backup-empty").textContent).toContain("Choose a folder");
    expect(screen.getByRole("button", { name: /Back up now/ })).toHaveProperty("disabled", true);
    await user.selectOptions(screen.getByLabelText("Schedule"), "Every 12 hours");
    await user.click(screen.getByRole("button", { name: "Save backup settings" }));
    expect(await screen.findByText(/Choose a folder for the backups/)).toBeTruthy();
    expect(sent).toHaveLength(0);
    await user.type(screen.getByLabelText("Backup folder"), "/mnt/usb/backups");
    await user.click(screen.getByRole("button", { name: "Save backup settings" }));
    await waitFor(() => expect(sent).toEqual([{ folder: "/mnt/usb/backups", everyHours: 12 }]));
  });

  it("previews a restore against the data of now, warns, and restores only when confirmed", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "preview_restore") return preview;
      if (cmd === "restore_backup") return { file: backup.file, asidePath: preview.asidePath, contents: preview.backup };
      if (cmd === "list_backups") return list;
    });
    const user = userEvent.setup();
    renderWithProviders(<BackupsCard settings={settings} list={list} />);
    await user.click(screen.getByRole("button", { name: /Restore the backup of/ }));
    const table = await screen.findByTestId("restore-preview");
    const customers = within(table).getByText("Customers").closest("tr")!;
    expect(customers.textContent).toBe("Customers54");
    expect(within(table).getByText("RCT-2026-000001")).toBeTruthy();
    expect(screen.getByTestId("restore-warning").textContent).toContain("before-restore");
    expect(calls).not.toContain("restore_backup");
    await user.click(screen.getByRole("button", { name: /Restore this backup/ }));
    await waitFor(() => expect(calls).toContain("restore_backup"));
    expect(await screen.findByText(/The data of before is kept in/)).toBeTruthy();
  });

  it("shows why a damaged backup is refused and offers no restore", async () => {
    mockIPC((cmd) => {
      if (cmd === "preview_restore") {
        throw { code: "conflict", message: "The backup x.db cannot be restored: SQLite's integrity check found damage (…). Your current data was not touched; choose another backup", fields: [] };
      }
    });
    const user = userEvent.setup();
    renderWithProviders(<BackupsCard settings={settings} list={list} />);
    await user.click(screen.getByRole("button", { name: /Restore the backup of/ }));
    expect((await screen.findByTestId("restore-refused")).textContent).toContain("current data was not touched");
    expect(screen.getByRole("button", { name: /Restore this backup/ })).toHaveProperty("disabled", true);
  });

  it("names schedules and refuses a schedule without a folder", () => {
    expect(scheduleLabel(0)).toMatch(/Off/);
    expect(scheduleLabel(1)).toBe("Every hour");
    expect(scheduleLabel(24)).toBe("Every day");
    expect(backupInputErrors("", 6).folder).toBeTruthy();
    expect(backupInputErrors("", 0)).toEqual({});
  });
});

import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { AboutDto, AvailableUpdateDto, UpdateSettingsDto } from "@/bindings";
import { AboutCard } from "./AboutCard";

const about: AboutDto = {
  version: "0.1.0",
  databasePath: "/home/r/.local/share/containerstacks/containerstacks.db",
  builtInEndpoint: "https://releases.containerstacks.app/desktop/{{target}}/{{arch}}/{{current_version}}/latest.json",
  settings: { endpoint: "", checkAtStart: true },
  copiesBeforeUpdate: [],
};
const appInfo = { version: "0.1.0", databasePath: "", logDir: "/logs", currency: "USD", providers: [] };
const update: AvailableUpdateDto = { version: "0.2.0", currentVersion: "0.1.0", notes: "Faster lists.\n<script>alert(1)</script>", date: "2026-12-01T10:00:00Z" };

describe("AboutCard", () => {
  it("finds an update, shows its notes as text, and says why it was not installed", async () => {
    mockIPC((cmd) => {
      if (cmd === "app_info") return appInfo;
      if (cmd === "check_for_update") return update;
      if (cmd === "install_update") throw { code: "conflict", message: "The package of version 0.2.0 does not carry ContainerStacks' signature (it is damaged, truncated or not ours), so it was not installed: this version keeps running", fields: [] };
    });
    const user = userEvent.setup();
    renderWithProviders(<AboutCard about={about} />);
    expect(screen.getByTestId("app-version")).toHaveTextContent("0.1.0");
    await user.click(screen.getByRole("button", { name: "Check for updates" }));
    expect(await screen.findByText(/Version 0.2.0 is available/)).toBeTruthy();
    const notes = screen.getByTestId("release-notes");
    expect(notes.textContent).toContain("<script>alert(1)</script>");
    expect(notes.querySelector("script")).toBeNull();
    await user.click(screen.getByRole("button", { name: /Download and install 0.2.0/ }));
    expect(await screen.findByTestId("update-error")).toHaveTextContent("does not carry ContainerStacks' signature");
    expect(screen.getByText("Version 0.2.0 was not installed")).toBeTruthy();
  });

  it("says when this is the newest version, and when the address cannot be reached", async () => {
    let answer: "none" | "down" = "none";
    mockIPC((cmd) => {
      if (cmd === "app_info") return appInfo;
      if (cmd === "check_for_update") {
        if (answer === "down") throw { code: "unavailable", message: "Could not reach https://mirror.example/latest.json (connection refused): check the network and the address in Settings → About, then try again", fields: [] };
        return null;
      }
    });
    const user = userEvent.setup();
    renderWithProviders(<AboutCard about={about} />);
    await user.click(screen.getByRole("button", { name: "Check for updates" }));
    expect(await screen.findByText("ContainerStacks 0.1.0 is the newest version.")).toBeTruthy();
    answer = "down";
    await user.click(screen.getByRole("button", { name: "Check for updates" }));
    expect(await screen.findByText("Could not check for updates")).toBeTruthy();
    expect(screen.getByTestId("update-error")).toHaveTextContent("Could not reach https://mirror.example/latest.json");
  });

  it("refuses an address that is not https beside the field, and shows the way back after an update", async () => {
    mockIPC((cmd, args) => {
      if (cmd === "app_info") return appInfo;
      if (cmd === "save_update_settings") {
        const input = (args as { input: UpdateSettingsDto }).input;
        if (input.endpoint.startsWith("http://")) throw { code: "validation", message: "Use https://", fields: [{ field: "endpoint", message: "Use https:// (plain http:// only to this computer): an update must not travel unencrypted" }] };
        return input;
      }
    });
    const user = userEvent.setup();
    renderWithProviders(
      <AboutCard about={{ ...about, copiesBeforeUpdate: [{ path: "/data/before-update/containerstacks-schema-23-20261207T180000Z.sqlite", schema: 23, takenAt: "2026-12-07T18:00:00Z", size: "1.2 MB" }] }} />,
    );
    await user.type(screen.getByLabelText("Update address"), "http://mirror.example/latest.json");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText(/an update must not travel unencrypted/)).toBeTruthy();
    expect(screen.getByTestId("copy-before-update")).toHaveTextContent("containerstacks-schema-23-20261207T180000Z.sqlite");
  });
});

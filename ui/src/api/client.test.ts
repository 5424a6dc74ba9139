import { describe, expect, it } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import { ApiError, api, camelCase, unwrap, type ErrorDto } from "./client";

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  return p.then(
    () => {
      throw new Error("expected the promise to reject");
    },
    (e: ApiError) => e,
  );
}

describe("unwrap", () => {
  it("returns the data of an ok result", async () => {
    await expect(unwrap(Promise.resolve({ status: "ok" as const, data: { id: "org_1" } }))).resolves.toEqual({ id: "org_1" });
  });

  it("throws an ApiError with the code, the message and camelCase field names", async () => {
    const err = await rejection(unwrap(
      Promise.resolve({
        status: "error" as const,
        error: {
          code: "validation",
          message: "Some fields need attention",
          fields: [
            { field: "contact_email", message: "not an email" },
            { field: "name", message: "Name is required" },
            { field: "contact_email", message: "second message is dropped" },
          ],
        },
      }),
    ));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("validation");
    expect(err.message).toBe("Some fields need attention");
    expect(err.fields).toEqual({ contactEmail: "not an email", name: "Name is required" });
  });

  it("maps unknown codes, thrown Errors and strings to internal", async () => {
    // A code this UI does not know (a backend newer than the bindings) is not trusted.
    const teapot = { code: "teapot", message: "?", fields: [] } as unknown as ErrorDto;
    const unknown = await rejection(unwrap(Promise.resolve({ status: "error" as const, error: teapot })));
    expect(unknown.code).toBe("internal");
    const thrown = await rejection(unwrap(Promise.reject(new Error("IPC broke"))));
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown.code).toBe("internal");
    expect(thrown.message).toBe("IPC broke");
    expect(ApiError.from("invalid args `input` for command").code).toBe("internal");
  });
});

describe("camelCase", () => {
  it("turns the backend's snake_case field names into the DTO's", () => {
    expect(camelCase("root_password")).toBe("rootPassword");
    expect(camelCase("providerType")).toBe("providerType");
    expect(camelCase("name")).toBe("name");
  });
});

describe("api over Tauri IPC", () => {
  it("sends the command name and arguments, and unwraps a command error", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "get_server") throw { code: "not_found", message: "No server srv_9", fields: [] };
      if (cmd === "list_activity") return [];
    });
    await expect(api.listActivity(50, "srv_1")).resolves.toEqual([]);
    const err = await rejection(api.getServer("srv_9"));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("not_found");
    expect(calls[0][0]).toBe("list_activity");
    expect(calls[0][1]).toMatchObject({ limit: 50, subject: "srv_1" });
    expect(calls[1][0]).toBe("get_server");
    expect(calls[1][1]).toMatchObject({ id: "srv_9" });
  });
});

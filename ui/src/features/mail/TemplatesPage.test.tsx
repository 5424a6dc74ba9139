import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { TemplatesPage, templateErrors, variableSnippet } from "./TemplatesPage";
import type { MailTemplateDto } from "./api";

const welcome: MailTemplateDto = {
  kind: "welcome", name: "Welcome", subject: "Welcome to {{ brand.name }}", text: "Hello {{ customer_name }}", html: "<p>Hello {{ customer_name }}</p>",
  variables: ["customer_name", "portal_url"], customized: false, attachesPdf: false,
};
const suspended: MailTemplateDto = { ...welcome, kind: "suspended", name: "Suspended", variables: ["customer_name", "server_list", "top_up_url"] };

describe("template helpers", () => {
  it("offers a loop for list variables", () => {
    expect(variableSnippet("customer_name")).toBe("{{ customer_name }}");
    expect(variableSnippet("server_list")).toContain("{% for item in server_list %}");
  });
  it("keeps the part the error is in", () => {
    expect(templateErrors({ code: "validation", message: "m", fields: [{ field: "html", message: "line 2, column 4" }] })).toEqual({ html: "line 2, column 4" });
  });
});

describe("TemplatesPage", () => {
  it("previews edits through the backend, shows a refused template's position, and saves", async () => {
    const previews: string[] = [];
    let saved: unknown;
    mockIPC((cmd, args) => {
      const a = args as { kind: string; input: { html: string } };
      if (cmd === "list_mail_templates") return [welcome, suspended];
      if (cmd === "preview_mail_template") {
        previews.push(a.input.html);
        if (a.input.html.includes("{{ oops")) throw { code: "validation", message: "the welcome email's HTML body has an error at line 1, column 4", fields: [{ field: "html", message: "the welcome email's HTML body has an error at line 1, column 4: unexpected end" }] };
        return { subject: "Welcome to Acme", text: "t", html: `<html>${a.input.html.replace("{{ customer_name }}", "Zoë")}</html>` };
      }
      if (cmd === "save_mail_template") {
        saved = args;
        return { ...welcome, html: a.input.html, customized: true };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<TemplatesPage />);
    await screen.findByTestId("preview-html");
    expect(screen.getByTestId("template-variables")).toHaveTextContent("{{ portal_url }}");
    const html = container.querySelector('textarea[name="html"]')!;
    fireEvent.change(html, { target: { value: "<p>{{ oops" } });
    await waitFor(() => expect(container.querySelector('[data-field-error="html"]')).toHaveTextContent("line 1, column 4"));
    fireEvent.change(html, { target: { value: "<h1>Hi {{ customer_name }}</h1>" } });
    await waitFor(() => expect(screen.getByTestId("preview-html").getAttribute("srcdoc")).toContain("Hi Zoë"));
    expect(screen.getByTestId("preview-html")).toHaveAttribute("sandbox", "");
    await user.click(screen.getByRole("button", { name: "Save template" }));
    await waitFor(() => expect(saved).toMatchObject({ kind: "welcome", input: { html: "<h1>Hi {{ customer_name }}</h1>" } }));

    await user.click(screen.getByRole("button", { name: "Suspended" }));
    expect(await screen.findByText("{% for item in server_list %}{{ item }}{% endfor %}")).toBeInTheDocument();
  });
});

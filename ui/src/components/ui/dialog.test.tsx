import { describe, expect, it } from "vitest";
import * as React from "react";
import { render, screen, fireEvent } from "@testing-library/react";
import { Dialog, DialogContent, DialogTitle } from "./dialog";

function Harness() {
  const [open, setOpen] = React.useState(true);
  return (
    <>
      <span data-testid="state">{open ? "open" : "closed"}</span>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent>
          <DialogTitle>Hello</DialogTitle>
        </DialogContent>
      </Dialog>
    </>
  );
}

describe("Dialog", () => {
  it("is labelled by its title and closes from its close button", () => {
    render(<Harness />);
    const dialog = document.querySelector("dialog")!;
    expect(dialog).toHaveAttribute("aria-labelledby", screen.getByText("Hello").id);
    fireEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(screen.getByTestId("state")).toHaveTextContent("closed");
    expect(document.querySelector("dialog")).toBeNull();
  });

  it("keeps React state in step when the element is closed natively (Escape, dialog.close())", () => {
    render(<Harness />);
    fireEvent(document.querySelector("dialog")!, new Event("close"));
    expect(screen.getByTestId("state")).toHaveTextContent("closed");
  });
});

import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation, useNavigate } from "react-router";
import { useListParams } from "./list-params";

function List() {
  const p = useListParams(["name"] as const, { sort: "name", desc: false });
  const navigate = useNavigate();
  return (
    <>
      <button type="button" onClick={() => p.update({ q: "now" })}>search</button>
      {/* A debounced search that lands after the user clicked another screen. */}
      <button type="button" onClick={() => { navigate("/servers"); p.update({ q: "late" }); }}>leave</button>
    </>
  );
}

function Where() {
  const l = useLocation();
  return <output data-testid="where">{l.pathname + l.search}</output>;
}

function setup() {
  render(
    <MemoryRouter initialEntries={["/customers"]}>
      <Routes>
        <Route path="/customers" element={<List />} />
        <Route path="/servers" element={<p>Servers</p>} />
      </Routes>
      <Where />
    </MemoryRouter>,
  );
}

describe("useListParams", () => {
  it("writes the search into the URL of its screen", async () => {
    setup();
    await userEvent.click(screen.getByRole("button", { name: "search" }));
    expect(screen.getByTestId("where")).toHaveTextContent("/customers?q=now");
  });

  it("drops an update that lands after the user went to another screen, instead of bringing them back", async () => {
    setup();
    await userEvent.click(screen.getByRole("button", { name: "leave" }));
    expect(screen.getByTestId("where")).toHaveTextContent(/^\/servers$/);
    expect(screen.getByText("Servers")).toBeInTheDocument();
  });
});

// The app's SQLite store, written from a test with the sqlite3 tool while the
// app is closed: for what a test cannot wait for, such as a month ending.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/** Runs `statement` on the store `db`; returns what it printed, trimmed. */
export function sql(db, statement) {
  return execFileSync("sqlite3", [db, statement], { encoding: "utf8" }).trim();
}

/** The store file in the app's data folder. */
export function storeIn(dataDir) {
  const db = path.join(dataDir, "containerstacks.db");
  return existsSync(db) ? db : path.join(dataDir, readdirSync(dataDir).find((f) => f.endsWith(".db")));
}

/**
 * An invoice for last month, issued on the 1st of this month as the
 * month-end billing run makes it (the engine only invoices months that are
 * over), with one line of 744 hours at 0.0225 = 16.74 in the store's
 * currency. `after` is more SQL to run in the same transaction.
 */
export function issueLastMonthsInvoice(db, { id, org, customerName, country, number, line, after = "" }) {
  const currency = sql(db, "SELECT coalesce((SELECT value FROM settings WHERE key = 'billing.currency'), 'USD')");
  const now = new Date();
  const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const month = lastMonth.getUTCFullYear() * 12 + lastMonth.getUTCMonth();
  const issued = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1, 0, 5)).toISOString();
  sql(
    db,
    `BEGIN;
     INSERT INTO documents (id, kind, status, idem_key, organization_id, currency, month, customer_name, customer_country, subtotal_minor, tax_minor, total_minor, created_at)
       VALUES ('${id}', 'invoice', 'draft', 'e2e:${id}', '${org}', '${currency}', ${month}, '${customerName}', '${country}', 1674, 0, 1674, '${issued}');
     INSERT INTO document_lines (document_id, line_no, description, quantity_hours, unit_rate_micros, amount_micros, amount_minor, tax_name, tax_rate_ppm)
       VALUES ('${id}', 1, '${line}', 744, 22500, 16740000, 1674, 'No tax', 0);
     UPDATE documents SET status = 'issued', number = '${number}', period = 'e2e-${id}', seq = 1, issued_at = '${issued}' WHERE id = '${id}';
     ${after}
     COMMIT;`,
  );
}

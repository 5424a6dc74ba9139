const NAMES: Record<string, string> = {
  welcome: "Welcome",
  password_reset: "Password reset",
  invoice_issued: "Invoice issued",
  payment_received: "Payment received",
  refund: "Refund",
  low_balance: "Low balance",
  suspension_warning: "Suspension warning",
  suspended: "Suspended",
  terminated: "Terminated",
  ticket_reply: "Ticket reply",
};

/** A template key as people read it; a mail made without a template is a test or one-off mail. */
export function templateLabel(key: string | null | undefined): string {
  if (!key) return "—";
  return NAMES[key] ?? key.replace(/_/g, " ");
}

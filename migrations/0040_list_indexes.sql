-- Indexes for the paginated lists (keyset pagination on (sort key, id), so
-- rows with equal keys keep one order) and their prefix searches.

-- Servers: newest first (default), by label, status, region; a customer's
-- and a plan's servers; search by label or IPv4 prefix.
CREATE INDEX servers_by_created ON servers(created_at, id);
CREATE INDEX servers_by_label ON servers(label COLLATE NOCASE, id);
CREATE INDEX servers_by_status ON servers(status, id);
CREATE INDEX servers_by_region ON servers(region, id);
CREATE INDEX servers_by_ipv4 ON servers(ipv4) WHERE ipv4 IS NOT NULL;
CREATE INDEX servers_by_org_created ON servers(organization_id, created_at, id);
CREATE INDEX servers_by_plan_created ON servers(plan_id, created_at, id);
CREATE INDEX servers_live_by_status ON servers(status) WHERE deleted_at IS NULL;

-- Customers: by name (name_key is unique), newest, country; search by
-- name prefix (name_key is lower-cased) or contact email prefix.
CREATE INDEX organizations_by_name ON organizations(name_key, id);
CREATE INDEX organizations_by_created ON organizations(created_at, id);
CREATE INDEX organizations_by_country ON organizations(country, id);
CREATE INDEX users_by_email_nocase ON users(email COLLATE NOCASE);

-- Documents: newest first (default), by total, by customer; search by
-- number or customer name prefix.
CREATE INDEX documents_by_created ON documents(created_at, id);
CREATE INDEX documents_by_total ON documents(total_minor, id);
CREATE INDEX documents_by_customer ON documents(customer_name COLLATE NOCASE, id);
CREATE INDEX documents_by_number_nocase ON documents(number COLLATE NOCASE) WHERE number IS NOT NULL;

-- Payments: newest first.
CREATE INDEX payments_by_created ON payments(created_at, id);

-- Activity: newest first by kind of subject (the sequence is the order).
CREATE INDEX activity_by_kind ON activity(subject_kind, seq);

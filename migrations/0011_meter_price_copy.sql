-- A copy of each meter's current price (its latest meter_prices row, the
-- greatest from_hour) on the meter row, inside the partial index the hourly
-- run's meter scan already reads: the run no longer searches meter_prices
-- once per meter (cs-billing BENCH.md, 2026-11-26 night). Prices change
-- rarely (a new meter, a resize, an applied price change), so the copy costs
-- nothing per hour; the triggers below keep it true for every writer, in the
-- writer's transaction, and cs_billing::verify checks it (invariant 7).
ALTER TABLE billing_meters ADD COLUMN price_from_hour INTEGER;
ALTER TABLE billing_meters ADD COLUMN hourly_micros INTEGER;
ALTER TABLE billing_meters ADD COLUMN monthly_micros INTEGER;

UPDATE billing_meters SET (price_from_hour, hourly_micros, monthly_micros) =
    (SELECT from_hour, hourly_micros, monthly_micros FROM meter_prices WHERE meter_id = billing_meters.id ORDER BY from_hour DESC LIMIT 1);

DROP INDEX billing_meters_open;
CREATE INDEX billing_meters_open ON billing_meters(organization_id, id, currency, start_hour, end_hour, price_from_hour, hourly_micros, monthly_micros)
    WHERE closed = 0;

CREATE TRIGGER billing_meters_price_insert AFTER INSERT ON meter_prices
BEGIN
    UPDATE billing_meters SET (price_from_hour, hourly_micros, monthly_micros) =
        (SELECT from_hour, hourly_micros, monthly_micros FROM meter_prices WHERE meter_id = NEW.meter_id ORDER BY from_hour DESC LIMIT 1)
    WHERE id = NEW.meter_id;
END;

CREATE TRIGGER billing_meters_price_update AFTER UPDATE ON meter_prices
BEGIN
    UPDATE billing_meters SET (price_from_hour, hourly_micros, monthly_micros) =
        (SELECT from_hour, hourly_micros, monthly_micros FROM meter_prices WHERE meter_id = NEW.meter_id ORDER BY from_hour DESC LIMIT 1)
    WHERE id = NEW.meter_id;
    UPDATE billing_meters SET (price_from_hour, hourly_micros, monthly_micros) =
        (SELECT from_hour, hourly_micros, monthly_micros FROM meter_prices WHERE meter_id = OLD.meter_id ORDER BY from_hour DESC LIMIT 1)
    WHERE id = OLD.meter_id AND OLD.meter_id != NEW.meter_id;
END;

CREATE TRIGGER billing_meters_price_delete AFTER DELETE ON meter_prices
BEGIN
    UPDATE billing_meters SET (price_from_hour, hourly_micros, monthly_micros) =
        (SELECT from_hour, hourly_micros, monthly_micros FROM meter_prices WHERE meter_id = OLD.meter_id ORDER BY from_hour DESC LIMIT 1)
    WHERE id = OLD.meter_id;
END;

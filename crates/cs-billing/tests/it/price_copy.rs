//! Migration 0011: every meter's latest price copied on its row (read by the
//! billing run's meter scan), back-filled for existing meters, and checked by
//! `verify` (invariant 7).

use cs_billing::verify::meter_prices_copied;
use rusqlite::Connection;

/// (meter id, price_from_hour, hourly_micros, monthly_micros) of every meter.
type Copy = (i64, Option<i64>, Option<i64>, Option<i64>);

fn copies(conn: &Connection) -> Vec<Copy> {
    let mut s = conn.prepare("SELECT id, price_from_hour, hourly_micros, monthly_micros FROM billing_meters ORDER BY id").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap()
}

#[test]
fn existing_meters_get_their_latest_price_and_later_writes_keep_it_true() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("cs.db")).unwrap();
    // A database as the version before 0011 left it: a resized meter (two
    // prices), a meter with one price, and one without any.
    let before: Vec<_> = cs_store::migrate::embedded()
        .into_iter()
        .filter(|m| m.version < 11)
        .collect();
    cs_store::migrate::apply_list(&mut conn, &before).unwrap();
    conn.execute_batch(
        "INSERT INTO billing_meters (id, server_id, organization_id, item, slot, label, currency, start_hour, created_at) VALUES
            (1, 's1', 'o1', 'server', 0, 'a', 'USD', 100, '2026-01-01T00:00:00Z'),
            (2, 's2', 'o1', 'server', 0, 'b', 'USD', 100, '2026-01-01T00:00:00Z'),
            (3, 's3', 'o1', 'server', 0, 'c', 'USD', 100, '2026-01-01T00:00:00Z');
         INSERT INTO meter_prices (meter_id, from_hour, hourly_micros, monthly_micros, plan_id) VALUES
            (1, 100, 7500, 5000000, 'p1'), (1, 150, 15000, 10000000, 'p2'), (2, 100, 7500, 5000000, 'p1');",
    )
    .unwrap();
    cs_store::migrate::apply_list(&mut conn, &cs_store::migrate::embedded()).unwrap();
    assert_eq!(
        copies(&conn),
        vec![
            (1, Some(150), Some(15000), Some(10000000)),
            (2, Some(100), Some(7500), Some(5000000)),
            (3, None, None, None)
        ]
    );
    meter_prices_copied(&conn).unwrap();

    // Every later write to meter_prices moves the copy in the same statement:
    // an earlier price added behind the latest leaves it; a replaced latest
    // price and a first price change it; a deleted latest price falls back.
    conn.execute_batch(
        "INSERT INTO meter_prices (meter_id, from_hour, hourly_micros, monthly_micros, plan_id) VALUES (1, 120, 9000, 6000000, 'p3');
         UPDATE meter_prices SET hourly_micros = 8000 WHERE meter_id = 2 AND from_hour = 100;
         INSERT INTO meter_prices (meter_id, from_hour, hourly_micros, monthly_micros, plan_id) VALUES (3, 100, 1000, 700000, 'p1');",
    )
    .unwrap();
    assert_eq!(
        copies(&conn),
        vec![
            (1, Some(150), Some(15000), Some(10000000)),
            (2, Some(100), Some(8000), Some(5000000)),
            (3, Some(100), Some(1000), Some(700000))
        ]
    );
    conn.execute(
        "DELETE FROM meter_prices WHERE meter_id = 1 AND from_hour = 150",
        [],
    )
    .unwrap();
    assert_eq!(copies(&conn)[0], (1, Some(120), Some(9000), Some(6000000)));
    meter_prices_copied(&conn).unwrap();

    // A copy that disagrees is reported, naming the meter.
    conn.execute(
        "UPDATE billing_meters SET hourly_micros = 1 WHERE id = 2",
        [],
    )
    .unwrap();
    let err = meter_prices_copied(&conn).unwrap_err().to_string();
    assert!(err.contains("meter 2"), "{err}");
}

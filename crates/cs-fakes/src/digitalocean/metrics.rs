//! Monitoring series in DigitalOcean's Prometheus-style `matrix` shape, a pure function of
//! (Droplet, time): the same query always answers the same numbers.
//!
//! CPU is what DigitalOcean's agent reports: cumulative seconds per CPU mode (summed over
//! the Droplet's vCPUs), so clients must take differences. Bandwidth is in megabits per
//! second per interface and direction; the filesystem series are bytes. A Droplet created
//! without the monitoring agent has no series.
#![allow(clippy::float_arithmetic)] // measurements, not money

use std::f64::consts::TAU;

use serde_json::{json, Value};

use super::state::Droplet;

const DAY: f64 = 86_400.0;

/// The step DigitalOcean would choose for a window of `span` seconds.
fn step_for(span: i64) -> i64 {
    if span <= 6 * 3600 {
        60
    } else if span <= 2 * 86_400 {
        300
    } else {
        3600
    }
}

/// Sample times in `[start, end]` at which the Droplet existed, up to now.
fn times(d: &Droplet, start: i64, end: i64) -> Vec<i64> {
    let step = step_for(end - start);
    let end = end.min(chrono::Utc::now().timestamp());
    let born = d.created.timestamp();
    let first = start.max(born).div_euclid(step) * step + step;
    (0..)
        .map(|k| first + k * step)
        .take_while(|t| *t <= end)
        .take(2000)
        .collect()
}

/// A stable phase per Droplet so each has its own daily curve.
fn phase(d: &Droplet) -> f64 {
    (d.id % 97) as f64 / 97.0 * TAU
}

/// ∫ (a + b·sin(ωτ + φ)) dτ from `t0` to `t`, with ω one turn a day.
fn integral(a: f64, b: f64, phi: f64, t0: f64, t: f64) -> f64 {
    let w = TAU / DAY;
    a * (t - t0) - b / w * ((w * t + phi).cos() - (w * t0 + phi).cos())
}

fn series(metric: Value, values: Vec<(i64, String)>) -> Value {
    let values: Vec<Value> = values.into_iter().map(|(t, v)| json!([t, v])).collect();
    json!({ "metric": metric, "values": values })
}

fn matrix(result: Vec<Value>) -> Value {
    json!({ "status": "success", "data": { "resultType": "matrix", "result": result } })
}

/// `GET /v2/monitoring/metrics/droplet/cpu`.
pub(crate) fn cpu(d: Option<&Droplet>, start: i64, end: i64) -> Value {
    let Some(d) = d.filter(|d| d.monitoring) else {
        return matrix(vec![]);
    };
    let born = d.created.timestamp() as f64;
    let cores = f64::from(d.vcpus);
    let phi = phase(d);
    // Fractions of each core's time: user follows the day, the rest is steady.
    let modes: [(&str, f64, f64); 7] = [
        ("user", 0.10, 0.06),
        ("system", 0.03, 0.01),
        ("iowait", 0.01, 0.0),
        ("steal", 0.004, 0.0),
        ("softirq", 0.002, 0.0),
        ("irq", 0.0, 0.0),
        ("nice", 0.0, 0.0),
    ];
    let ts = times(d, start, end);
    let mut out = Vec::new();
    let mut busy = vec![0.0; ts.len()];
    for (mode, a, b) in modes {
        let values = ts
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let v = cores * integral(a, b, phi, born, *t as f64);
                busy[k] += v;
                (*t, format!("{v:.2}"))
            })
            .collect();
        out.push(series(
            json!({ "host_id": d.id.to_string(), "mode": mode }),
            values,
        ));
    }
    let idle = ts
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let v = cores * (*t as f64 - born) - busy[k];
            (*t, format!("{v:.2}"))
        })
        .collect();
    out.insert(
        0,
        series(json!({ "host_id": d.id.to_string(), "mode": "idle" }), idle),
    );
    matrix(out)
}

/// `GET /v2/monitoring/metrics/droplet/bandwidth`, in Mbps.
pub(crate) fn bandwidth(
    d: Option<&Droplet>,
    interface: &str,
    direction: &str,
    start: i64,
    end: i64,
) -> Value {
    let Some(d) = d.filter(|d| d.monitoring) else {
        return matrix(vec![]);
    };
    let (base, swing) = match (interface, direction) {
        ("public", "outbound") => (0.6, 0.5),
        ("public", _) => (0.25, 0.2),
        (_, "outbound") => (0.05, 0.02),
        _ => (0.04, 0.02),
    };
    let phi = phase(d);
    let values = times(d, start, end)
        .into_iter()
        .map(|t| {
            let wave = ((TAU * t as f64 / DAY + phi).sin() + 1.0) / 2.0;
            (t, format!("{:.4}", base + swing * wave))
        })
        .collect();
    matrix(vec![series(
        json!({ "host_id": d.id.to_string(), "interface": interface, "direction": direction }),
        values,
    )])
}

/// `GET /v2/monitoring/metrics/droplet/filesystem_size` (`free == false`) or
/// `filesystem_free`, in bytes of the root filesystem.
pub(crate) fn filesystem(d: Option<&Droplet>, free: bool, start: i64, end: i64) -> Value {
    let Some(d) = d.filter(|d| d.monitoring) else {
        return matrix(vec![]);
    };
    let size = d.disk_gb as f64 * 1_073_741_824.0;
    let born = d.created.timestamp() as f64;
    let values = times(d, start, end)
        .into_iter()
        .map(|t| {
            // 2 GiB of system, then about 1 MB more an hour.
            let used =
                (2_147_483_648.0 + (t as f64 - born) / 3600.0 * 1_000_000.0).min(size * 0.95);
            let v = if free { size - used } else { size };
            (t, format!("{v:.0}"))
        })
        .collect();
    matrix(vec![series(
        json!({ "host_id": d.id.to_string(), "device": "/dev/vda1", "fstype": "ext4", "mountpoint": "/" }),
        values,
    )])
}

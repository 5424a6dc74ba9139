//! `X-Filter` and pagination as Linode applies them to collections.

use std::cmp::Ordering;

use serde_json::Value;

use super::state::{ApiError, ApiResult};

/// Keeps the items matching `filter` (Linode's JSON filter language: field equality,
/// `+gt/+gte/+lt/+lte/+neq/+contains`, `+and`, `+or`, `+order_by` with `+order`).
/// A field outside `filterable` is refused exactly like Linode does.
pub(crate) fn apply(items: Vec<Value>, filter: &str, filterable: &[&str]) -> ApiResult<Vec<Value>> {
    let f: Value = serde_json::from_str(filter)
        .map_err(|_| ApiError::field(400, "X-Filter", "The filter is not valid JSON"))?;
    let obj = f
        .as_object()
        .ok_or_else(|| ApiError::field(400, "X-Filter", "The filter must be an object"))?;
    check_fields(&f, filterable)?;
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if matches(&item, &f)? {
            out.push(item);
        }
    }
    if let Some(order_by) = obj.get("+order_by").and_then(Value::as_str) {
        let desc = obj.get("+order").and_then(Value::as_str) == Some("desc");
        out.sort_by(|a, b| {
            let o = compare(field(a, order_by), field(b, order_by)).unwrap_or(Ordering::Equal);
            if desc {
                o.reverse()
            } else {
                o
            }
        });
    }
    Ok(out)
}

fn check_fields(f: &Value, filterable: &[&str]) -> ApiResult<()> {
    match f {
        Value::Object(map) => {
            for (k, v) in map {
                match k.as_str() {
                    "+and" | "+or" => {
                        for sub in v.as_array().into_iter().flatten() {
                            check_fields(sub, filterable)?;
                        }
                    }
                    "+order_by" => {
                        let name = v.as_str().unwrap_or_default();
                        if !filterable.contains(&name) {
                            return Err(ApiError::field(
                                400,
                                "X-Filter",
                                &format!("Cannot filter on {name}"),
                            ));
                        }
                    }
                    "+order" => {}
                    name if !filterable.contains(&name) => {
                        return Err(ApiError::field(
                            400,
                            "X-Filter",
                            &format!("Cannot filter on {name}"),
                        ));
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        _ => Err(ApiError::field(
            400,
            "X-Filter",
            "The filter must be an object",
        )),
    }
}

fn field<'a>(item: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(item, |v, part| v.get(part))
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Option<Ordering> {
    match (a?, b?) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn equals(have: Option<&Value>, want: &Value) -> bool {
    match have {
        Some(Value::Array(list)) => list.iter().any(|v| v == want),
        Some(v) => v == want,
        None => want.is_null(),
    }
}

fn matches(item: &Value, f: &Value) -> ApiResult<bool> {
    let map = f
        .as_object()
        .ok_or_else(|| ApiError::field(400, "X-Filter", "The filter must be an object"))?;
    for (k, cond) in map {
        let ok = match k.as_str() {
            "+and" => {
                let mut all = true;
                for sub in cond.as_array().into_iter().flatten() {
                    all &= matches(item, sub)?;
                }
                all
            }
            "+or" => {
                let mut any = false;
                for sub in cond.as_array().into_iter().flatten() {
                    any |= matches(item, sub)?;
                }
                any
            }
            "+order_by" | "+order" => true,
            name => {
                let have = field(item, name);
                match cond {
                    Value::Object(ops) => {
                        let mut all = true;
                        for (op, want) in ops {
                            all &= match op.as_str() {
                                "+gt" => compare(have, Some(want)) == Some(Ordering::Greater),
                                "+gte" => matches!(
                                    compare(have, Some(want)),
                                    Some(Ordering::Greater | Ordering::Equal)
                                ),
                                "+lt" => compare(have, Some(want)) == Some(Ordering::Less),
                                "+lte" => matches!(
                                    compare(have, Some(want)),
                                    Some(Ordering::Less | Ordering::Equal)
                                ),
                                "+neq" => !equals(have, want),
                                "+contains" => match (have, want) {
                                    (Some(Value::String(h)), Value::String(w)) => {
                                        h.contains(w.as_str())
                                    }
                                    _ => false,
                                },
                                other => {
                                    return Err(ApiError::field(
                                        400,
                                        "X-Filter",
                                        &format!("Unknown operator {other}"),
                                    ))
                                }
                            };
                        }
                        all
                    }
                    want => equals(have, want),
                }
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Cuts one page out of `items` and wraps it as `{data, page, pages, results}`.
pub(crate) fn page(
    items: Vec<Value>,
    page: Option<&str>,
    page_size: Option<&str>,
) -> ApiResult<Value> {
    let page: u64 = match page {
        None => 1,
        Some(p) => p
            .parse()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| ApiError::field(400, "page", "Must be a positive integer"))?,
    };
    let size: u64 = match page_size {
        None => 100,
        Some(s) => s
            .parse()
            .ok()
            .filter(|s| (25..=500).contains(s))
            .ok_or_else(|| ApiError::field(400, "page_size", "Must be between 25 and 500"))?,
    };
    let results = items.len() as u64;
    let pages = results.div_ceil(size).max(1);
    let data: Vec<Value> = items
        .into_iter()
        .skip(((page - 1) * size) as usize)
        .take(size as usize)
        .collect();
    Ok(serde_json::json!({ "data": data, "page": page, "pages": pages, "results": results }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_like_linode() {
        let items = vec![
            json!({"label":"a1","id":1,"tags":["x"]}),
            json!({"label":"b2","id":2,"tags":[]}),
            json!({"label":"c3","id":3,"tags":["x"]}),
        ];
        let f = |s: &str| apply(items.clone(), s, &["label", "id", "tags"]);
        assert_eq!(f(r#"{"label":"b2"}"#).unwrap().len(), 1);
        assert_eq!(f(r#"{"tags":"x"}"#).unwrap().len(), 2);
        assert_eq!(f(r#"{"id":{"+gte":2}}"#).unwrap().len(), 2);
        assert_eq!(f(r#"{"+or":[{"id":1},{"id":3}]}"#).unwrap().len(), 2);
        let sorted = f(r#"{"+order_by":"id","+order":"desc"}"#).unwrap();
        assert_eq!(sorted[0]["id"], 3);
        let err = f(r#"{"foo":1}"#).unwrap_err();
        assert_eq!(
            err.body(),
            json!({"errors":[{"reason":"Cannot filter on foo","field":"X-Filter"}]})
        );
    }

    #[test]
    fn pages() {
        let items: Vec<Value> = (0..1201).map(|i| json!({ "id": i })).collect();
        let p = page(items.clone(), Some("3"), Some("500")).unwrap();
        assert_eq!(p["pages"], 3);
        assert_eq!(p["results"], 1201);
        assert_eq!(p["data"].as_array().unwrap().len(), 201);
        assert!(page(items, None, Some("501")).is_err());
    }
}

//! Time as stored (Unix milliseconds) and as shown (RFC 3339, UTC).

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// RFC 3339 (UTC, milliseconds) for a stored time.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 time (or a bare date, taken as midnight UTC) into Unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = rfc3339(1_614_265_330_123);
        assert_eq!(s, "2021-02-25T15:02:10.123Z");
        assert_eq!(parse_rfc3339(&s), Some(1_614_265_330_123));
        assert_eq!(parse_rfc3339("2021-02-25"), Some(1_614_211_200_000));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}

//! Webhooks per the Standard Webhooks specification: `webhook-id`, `webhook-timestamp`
//! and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the
//! base64-decoded `whsec_` secret), delivered from a persistent outbox with exponential
//! backoff. Delivery is at least once and unordered: payloads carry `occurred_at`, the
//! task's `sequence` number and its `status`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::state::AppState;
use crate::store::{DeliveryAttempt, DeliveryRow, OutboxMessage, TaskRow};
use crate::timestamps::{now_ms, rfc3339};
use crate::tokens::{hmac_sha256, new_id};

/// The signing key of a `whsec_...` secret (base64 after the prefix; raw bytes otherwise).
pub fn secret_key(secret: &str) -> Vec<u8> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_else(|_| secret.as_bytes().to_vec())
}

/// The `webhook-signature` value for a message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut content = Vec::with_capacity(msg_id.len() + body.len() + 24);
    content.extend_from_slice(msg_id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.to_string().as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    let mac = hmac_sha256(&secret_key(secret), &content);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac)
    )
}

/// The outbox messages of one task event (one per target URL).
pub fn task_event(task: &TaskRow, seq: u64, event_type: &str) -> Vec<OutboxMessage> {
    let Some(url) = &task.callback_url else {
        return Vec::new();
    };
    let occurred_at = rfc3339(now_ms());
    let mut data = serde_json::json!({
        "task_id": task.id,
        "status": task.status,
        "progress": task.progress,
        "sequence": seq,
        "occurred_at": occurred_at,
        "kind": task.kind,
        "report_state": task.report_state,
    });
    if let Some(e) = &task.error {
        data["error"] = serde_json::Value::String(e.clone());
    }
    let payload = serde_json::json!({
        "type": event_type,
        "timestamp": occurred_at,
        "data": data,
    });
    vec![OutboxMessage {
        id: new_id("msg"),
        url: url.clone(),
        event_type: event_type.to_owned(),
        payload: serde_json::to_vec(&payload).unwrap_or_default(),
    }]
}

/// Checks a callback URL given by a client.
pub fn check_callback_url(url: &str) -> Result<(), String> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(format!("callback_url {url:?} is not an http(s) URL"))
    }
}

/// Delay before attempt `attempt + 1` after `attempt` failures: base x 2^(attempt-1),
/// capped.
pub fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(20);
    base.saturating_mul(factor).min(max)
}

fn deliver_one(state: &AppState, agent: &ureq::Agent, d: &DeliveryRow) {
    let secret = match state.store.webhook_secret(d.tenant_id) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("webhook {}: no secret: {e}", d.id);
            return;
        }
    };
    let ts = now_ms() / 1000;
    let signature = sign(&secret, &d.id, ts, &d.payload);
    let started = Instant::now();
    let outcome = agent
        .post(&d.url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.id)
        .header("webhook-timestamp", &ts.to_string())
        .header("webhook-signature", &signature)
        .send(&d.payload[..]);
    let attempt_no = d.attempts + 1;
    let (status, error) = match outcome {
        Ok(resp) => (Some(resp.status().as_u16()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let ok = status.is_some_and(|s| (200..300).contains(&s));
    let attempt = DeliveryAttempt {
        attempt: attempt_no,
        at: rfc3339(now_ms()),
        status,
        error,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    let (state_name, next) = if ok {
        ("delivered", None)
    } else if attempt_no >= state.config.webhook_max_attempts {
        ("failed", None)
    } else {
        let delay = backoff(
            state.config.webhook_retry_base,
            state.config.webhook_retry_max,
            attempt_no,
        );
        ("pending", Some(now_ms() + delay.as_millis() as i64))
    };
    if let Err(e) = state
        .store
        .record_attempt(&d.id, &attempt, state_name, next)
    {
        tracing::error!("webhook {}: recording the attempt failed: {e}", d.id);
    }
}

/// The delivery loop: sends due messages (a few at a time) until the server stops.
pub fn run_deliverer(state: Arc<AppState>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(state.config.webhook_timeout))
        .http_status_as_error(false)
        .build()
        .into();
    while !state.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        let due = match state.store.due_deliveries(now_ms(), 16) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("webhook outbox: {e}");
                Vec::new()
            }
        };
        if due.is_empty() {
            let wait = match state.store.next_delivery_time() {
                Ok(Some(t)) => Duration::from_millis((t - now_ms()).clamp(5, 1000) as u64),
                _ => Duration::from_secs(1),
            };
            state.outbox.wait(wait);
            continue;
        }
        std::thread::scope(|s| {
            for group in due.chunks(4) {
                for d in group {
                    let st = &state;
                    let ag = &agent;
                    s.spawn(move || deliver_one(st, ag, d));
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published with the Standard Webhooks specification.
    #[test]
    fn standard_webhooks_test_vector() {
        assert_eq!(
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#,
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_secs(5);
        let m = Duration::from_secs(60);
        assert_eq!(backoff(b, m, 1), Duration::from_secs(5));
        assert_eq!(backoff(b, m, 2), Duration::from_secs(10));
        assert_eq!(backoff(b, m, 3), Duration::from_secs(20));
        assert_eq!(backoff(b, m, 9), m);
    }

    #[test]
    fn callback_urls_must_be_http() {
        assert!(check_callback_url("https://example.invalid/hook").is_ok());
        assert!(check_callback_url("ftp://x").is_err());
        assert!(check_callback_url("http://a b").is_err());
    }
}

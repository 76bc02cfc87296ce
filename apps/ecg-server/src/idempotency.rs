//! `Idempotency-Key` on creating POSTs: the first response is stored; a repeat with the
//! same key and the same request gets it again, the same key with another request is
//! refused (422), and a repeat while the first is still running gets 409.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, ApiResult, ProblemKind};
use crate::state::AppState;
use crate::store::Tenant;
use crate::timestamps::now_ms;

/// Header name.
pub const HEADER: &str = "Idempotency-Key";

/// Runs a creating request once per idempotency key. `f` returns the status and JSON body.
pub fn once(
    state: &AppState,
    tenant: &Tenant,
    req: &HttpRequest,
    body: &[u8],
    f: impl FnOnce() -> ApiResult<(StatusCode, serde_json::Value)>,
) -> ApiResult<HttpResponse> {
    let key = match req.headers().get(HEADER) {
        None => {
            let (status, value) = f()?;
            return Ok(HttpResponse::build(status).json(value));
        }
        Some(v) => v
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .ok_or_else(|| ApiError::bad_request("Idempotency-Key must be 1-255 ASCII characters"))?
            .to_owned(),
    };
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update(b"\n");
    h.update(req.path());
    h.update(b"\n");
    h.update(body);
    let fingerprint = crate::tokens::hex(&h.finalize());
    match state
        .store
        .idempotency_begin(tenant.id, &key, &fingerprint, now_ms())?
    {
        Some(rec) if rec.fingerprint != fingerprint => Err(ApiError::new(
            ProblemKind::IdempotencyKeyReused,
            format!("Idempotency-Key {key:?} was used for a different request"),
        )),
        Some(rec) => match rec.response {
            Some((status, body)) => Ok(HttpResponse::build(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            )
            .insert_header(("Idempotent-Replayed", "true"))
            .content_type("application/json")
            .body(body)),
            None => Err(ApiError::new(
                ProblemKind::IdempotencyInProgress,
                format!("a request with Idempotency-Key {key:?} is still being processed"),
            )),
        },
        None => match f() {
            Ok((status, value)) => {
                let bytes = serde_json::to_vec(&value).map_err(ApiError::internal)?;
                state
                    .store
                    .idempotency_finish(tenant.id, &key, status.as_u16(), &bytes)?;
                Ok(HttpResponse::build(status)
                    .content_type("application/json")
                    .body(bytes))
            }
            Err(e) => {
                state.store.idempotency_abort(tenant.id, &key)?;
                Err(e)
            }
        },
    }
}

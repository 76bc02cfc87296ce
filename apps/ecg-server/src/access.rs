//! Who may act on one task: an API key of its tenant, or a **viewer token** minted for that
//! task.
//!
//! A viewer token lets a browser review one task without ever holding the API key: the
//! client system (which holds the key) calls `POST /api/v1/tasks/{id}/viewer-token` and
//! opens `/viewer/tasks/{id}#token=vt_...` for the specialist. The token is stateless and
//! HMAC-signed with the server's secret: `vt_` + base64url(JSON claims) + `.` + hex
//! HMAC-SHA256. Its claims name the task, the tenant, the SHA-256 of the API key that minted
//! it (so revoking that key also revokes its tokens), the reviewer shown in the audit trail
//! and the expiry. It is accepted only on the endpoints of its own task.

use actix_web::HttpRequest;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::auth::{key_hash, tenant_of};
use crate::problem::{ApiError, ApiResult, ProblemKind};
use crate::state::AppState;
use crate::store::{TaskRow, Tenant};
use crate::timestamps::now_ms;
use crate::tokens::{constant_time_eq, hex, hmac_sha256};

/// Prefix of every viewer token.
pub const VIEWER_TOKEN_PREFIX: &str = "vt_";

/// Default lifetime of a viewer token (8 hours).
pub const DEFAULT_VIEWER_TTL_S: u64 = 8 * 3600;

/// Longest lifetime of a viewer token (24 hours).
pub const MAX_VIEWER_TTL_S: u64 = 24 * 3600;

/// What a viewer token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerClaims {
    /// Task id.
    #[serde(rename = "t")]
    pub task_id: String,
    /// Tenant id.
    #[serde(rename = "n")]
    pub tenant_id: i64,
    /// SHA-256 (hex) of the API key that minted the token.
    #[serde(rename = "k")]
    pub key_hash: String,
    /// Reviewer recorded in the audit trail.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    /// Expiry (Unix milliseconds).
    #[serde(rename = "e")]
    pub expires_ms: i64,
}

fn signature(secret: &[u8], payload: &str) -> String {
    hex(&hmac_sha256(
        secret,
        format!("viewer\n{payload}").as_bytes(),
    ))
}

/// Mints a viewer token for the claims.
pub fn mint_viewer_token(secret: &[u8], claims: &ViewerClaims) -> String {
    let json = serde_json::to_vec(claims).unwrap_or_default();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let sig = signature(secret, &payload);
    format!("{VIEWER_TOKEN_PREFIX}{payload}.{sig}")
}

/// Checks a viewer token's signature and expiry (at `now_ms`) and returns its claims;
/// `None` when it is malformed, forged or expired.
pub fn verify_viewer_token(secret: &[u8], token: &str, now_ms: i64) -> Option<ViewerClaims> {
    let rest = token.strip_prefix(VIEWER_TOKEN_PREFIX)?;
    let (payload, sig) = rest.split_once('.')?;
    if !constant_time_eq(
        signature(secret, payload).as_bytes(),
        sig.to_ascii_lowercase().as_bytes(),
    ) {
        return None;
    }
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: ViewerClaims = serde_json::from_slice(&json).ok()?;
    (claims.expires_ms > now_ms).then_some(claims)
}

/// The caller of a task endpoint and the task.
#[derive(Clone, Debug)]
pub struct TaskAccess {
    /// The task's tenant (with the prefix of the key used, for the audit trail).
    pub tenant: Tenant,
    /// The task.
    pub task: TaskRow,
    /// Reviewer named by a viewer token.
    pub reviewer: Option<String>,
    /// True when the caller used a viewer token rather than an API key.
    pub via_viewer_token: bool,
}

impl TaskAccess {
    /// The audit-trail actor: the reviewer named in the request, else the token's, with the
    /// tenant and key prefix.
    pub fn actor(&self, reviewer: Option<&str>) -> String {
        let named = reviewer
            .filter(|r| !r.trim().is_empty())
            .or(self.reviewer.as_deref());
        let via = if self.via_viewer_token {
            ", viewer token"
        } else {
            ""
        };
        match named {
            Some(r) if !r.trim().is_empty() => format!(
                "{} ({}, key {}{via})",
                r.trim(),
                self.tenant.name,
                self.tenant.key_prefix
            ),
            _ => format!("{} (key {}{via})", self.tenant.name, self.tenant.key_prefix),
        }
    }
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let v = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
}

/// Resolves who calls an endpoint of task `task_id`: an API key of the task's tenant or a
/// viewer token minted for this task. Another tenant's task, or another task's token, is
/// "not found".
pub fn task_access(req: &HttpRequest, state: &AppState, task_id: &str) -> ApiResult<TaskAccess> {
    if let Some(token) = bearer(req).filter(|t| t.starts_with(VIEWER_TOKEN_PREFIX)) {
        let claims =
            verify_viewer_token(&state.presign_secret, token, now_ms()).ok_or_else(|| {
                ApiError::new(
                    ProblemKind::Unauthorized,
                    "invalid or expired viewer token (ask for a new one)",
                )
            })?;
        let tenant = state
            .store
            .tenant_by_key(&claims.key_hash)?
            .filter(|t| t.id == claims.tenant_id)
            .ok_or_else(|| {
                ApiError::new(
                    ProblemKind::Unauthorized,
                    "the API key that minted this viewer token was revoked",
                )
            })?;
        if claims.task_id != task_id {
            return Err(ApiError::not_found("task", task_id));
        }
        let task = state
            .store
            .task(tenant.id, task_id)?
            .ok_or_else(|| ApiError::not_found("task", task_id))?;
        return Ok(TaskAccess {
            tenant,
            task,
            reviewer: claims.reviewer,
            via_viewer_token: true,
        });
    }
    let tenant = tenant_of(req, state)?.ok_or_else(|| {
        ApiError::new(
            ProblemKind::Unauthorized,
            "missing Authorization: Bearer <API key or viewer token>",
        )
    })?;
    let task = state
        .store
        .task(tenant.id, task_id)?
        .ok_or_else(|| ApiError::not_found("task", task_id))?;
    Ok(TaskAccess {
        tenant,
        task,
        reviewer: None,
        via_viewer_token: false,
    })
}

/// Claims for a new token of `task` minted with the API key of `req` (which must be an
/// API key, not a viewer token).
pub fn claims_for(
    req: &HttpRequest,
    access: &TaskAccess,
    reviewer: Option<String>,
    ttl_s: u64,
) -> ApiResult<ViewerClaims> {
    if access.via_viewer_token {
        return Err(ApiError::new(
            ProblemKind::Unauthorized,
            "a viewer token cannot mint viewer tokens: use an API key",
        ));
    }
    let key = bearer(req)
        .ok_or_else(|| ApiError::new(ProblemKind::Unauthorized, "missing Authorization: Bearer"))?;
    let ttl = ttl_s.clamp(1, MAX_VIEWER_TTL_S);
    Ok(ViewerClaims {
        task_id: access.task.id.clone(),
        tenant_id: access.tenant.id,
        key_hash: key_hash(key),
        reviewer: reviewer.filter(|r| !r.trim().is_empty()),
        expires_ms: now_ms().saturating_add((ttl * 1000) as i64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_unchanged_and_unexpired() {
        let claims = ViewerClaims {
            task_id: "tsk_1".into(),
            tenant_id: 3,
            key_hash: "ab".repeat(32),
            reviewer: Some("Dr. Who".into()),
            expires_ms: 10_000,
        };
        let t = mint_viewer_token(b"secret", &claims);
        assert!(t.starts_with("vt_"));
        assert_eq!(verify_viewer_token(b"secret", &t, 9_999), Some(claims));
        assert_eq!(verify_viewer_token(b"secret", &t, 10_000), None, "expired");
        assert_eq!(verify_viewer_token(b"other", &t, 0), None, "wrong key");
        // a changed payload (another task) breaks the signature
        let forged = mint_viewer_token(
            b"attacker",
            &ViewerClaims {
                task_id: "tsk_2".into(),
                tenant_id: 3,
                key_hash: "ab".repeat(32),
                reviewer: None,
                expires_ms: 10_000,
            },
        );
        let (_, sig) = t.rsplit_once('.').unwrap();
        let (payload, _) = forged.rsplit_once('.').unwrap();
        assert_eq!(
            verify_viewer_token(b"secret", &format!("{payload}.{sig}"), 0),
            None
        );
        assert_eq!(verify_viewer_token(b"secret", "vt_garbage", 0), None);
        assert_eq!(verify_viewer_token(b"secret", "ecgk_abc", 0), None);
    }
}

//! API keys: creation (admin CLI), and the [`Auth`] extractor that turns
//! `Authorization: Bearer <key>` into the calling [`Tenant`].

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use base64::Engine as _;

use crate::problem::{ApiError, ProblemKind};
use crate::state::AppState;
use crate::store::{MetadataStore, StoreResult, Tenant};
use crate::tokens::{hex, random_bytes, sha256_hex};

/// Prefix of every API key.
pub const KEY_PREFIX: &str = "ecgk_";

/// The hash under which a key is stored (the key itself never is).
pub fn key_hash(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

/// Creates a key for a tenant (creating the tenant when new); returns the key.
pub fn create_key(store: &dyn MetadataStore, tenant: &str) -> StoreResult<String> {
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(random_bytes(32))
    );
    let tenant_id = store.ensure_tenant(tenant, &secret)?;
    let key = format!("{KEY_PREFIX}{}", hex(&random_bytes(24)));
    store.add_api_key(tenant_id, &key_hash(&key), &key[..KEY_PREFIX.len() + 8])?;
    Ok(key)
}

/// Revokes a key; false when it was unknown or already revoked.
pub fn revoke_key(store: &dyn MetadataStore, key: &str) -> StoreResult<bool> {
    store.revoke_api_key(&key_hash(key.trim()))
}

/// The authenticated tenant of a request.
#[derive(Clone, Debug)]
pub struct Auth(pub Tenant);

/// Resolves the bearer key of a request, if any.
pub fn tenant_of(req: &HttpRequest, state: &AppState) -> Result<Option<Tenant>, ApiError> {
    let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        ApiError::new(
            ProblemKind::Unauthorized,
            "Authorization header is not ASCII",
        )
    })?;
    let key = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::new(
                ProblemKind::Unauthorized,
                "expected Authorization: Bearer <API key>",
            )
        })?
        .trim();
    match state.store.tenant_by_key(&key_hash(key))? {
        Some(t) => Ok(Some(t)),
        None => Err(ApiError::new(
            ProblemKind::Unauthorized,
            "unknown or revoked API key",
        )),
    }
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(ApiError::internal("application state missing")));
        };
        ready(match tenant_of(req, state) {
            Ok(Some(t)) => Ok(Auth(t)),
            Ok(None) => Err(ApiError::new(
                ProblemKind::Unauthorized,
                "missing Authorization: Bearer <API key>",
            )),
            Err(e) => Err(e),
        })
    }
}

//! The OpenAPI 3.1 document of the API (generated from the handlers' annotations; served
//! at `/api/v1/openapi.json` and checked in as `docs/openapi.json`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{holter, problem, tasks, uploads, viewer};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API key from `ecg-server keys create --tenant NAME`"))
                    .build(),
            ),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ECG service API",
        description = "Uploads, analysis tasks, results and review, PDF reports, share links and \
                       webhooks. Errors are RFC 9457 problem details (application/problem+json) \
                       whose `type` is stable per kind of error. See docs/API.md.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        uploads::create_upload,
        uploads::get_upload,
        uploads::put_chunk,
        uploads::delete_chunk,
        uploads::delete_upload,
        uploads::complete_upload,
        uploads::direct_upload,
        uploads::create_upload_url,
        uploads::put_content,
        tasks::create_task,
        tasks::list_tasks,
        tasks::get_task,
        tasks::cancel_task,
        tasks::get_result,
        tasks::update_result,
        tasks::result_revisions,
        tasks::approve,
        tasks::get_report,
        tasks::create_share,
        tasks::list_shares,
        tasks::revoke_share,
        tasks::shared_view,
        tasks::shared_report,
        tasks::deliveries,
        tasks::webhook_secret,
        holter::upload_url,
        holter::submit,
        holter::status,
        holter::result,
        holter::report,
        holter::cancel_task,
        viewer::create_viewer_token,
        viewer::task_overview,
        viewer::task_signal,
        viewer::task_beats,
        viewer::task_episodes,
        viewer::post_edit,
        viewer::post_undo,
        viewer::post_redo,
        viewer::shared_overview,
        viewer::shared_signal,
        viewer::shared_beats,
        viewer::shared_episodes,
    ),
    components(schemas(problem::Problem)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// The document as pretty JSON (with a final newline), exactly as checked in.
pub fn document_json() -> String {
    let mut s = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps the checked-in `docs/openapi.json` in step with the code. Regenerate with
    /// `cargo run -p ecg-server -- openapi > docs/openapi.json`.
    #[test]
    fn checked_in_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let current = document_json();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &current).unwrap();
        }
        let checked_in = std::fs::read_to_string(path).expect(
            "docs/openapi.json is missing: cargo run -p ecg-server -- openapi > docs/openapi.json",
        );
        assert!(
            checked_in == current,
            "docs/openapi.json is stale: cargo run -p ecg-server -- openapi > docs/openapi.json"
        );
        let v: serde_json::Value = serde_json::from_str(&current).unwrap();
        for p in [
            "/api/v1/advanced/ecg/holter/upload-url",
            "/api/v1/advanced/ecg/holter/submit",
            "/api/v1/advanced/ecg/holter/status/{task_id}",
            "/api/v1/advanced/ecg/holter/result/{task_id}",
            "/api/v1/advanced/ecg/holter/report/{task_id}",
            "/api/v1/advanced/ecg/holter/cancel/{task_id}",
        ] {
            assert!(
                v["paths"][p].is_object(),
                "{p} missing from the OpenAPI document"
            );
        }
    }
}

//! WHEP (draft-ietf-wish-whep) and WHIP (RFC 9725): `POST /v1/whep/{node}` (play a node) or
//! `POST /v1/whip/{node}` (publish into a `whip` source) with an SDP offer answers 201 with the SDP answer and
//! the session's URL in `Location`; `DELETE` on that URL ends the session. All candidates are in the answer
//! (ICE lite), so there is no trickle ICE or ICE restart: `PATCH` is 405, as RFC 9725 asks.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use streamlib_core::webrtc::Way;

use super::{Answer, Shared};
use crate::http::body::{blocking, read_body};
use crate::http::ApiError;
use crate::ops::webrtc;

/// SDP offers are a few kilobytes; a browser's with many codecs stays under 16 KiB.
const OFFER_LIMIT: usize = 64 << 10;
const SDP: &str = "application/sdp";

pub(super) async fn play(state: State<Shared>, node: Path<String>, headers: HeaderMap, body: Body) -> Answer {
    answer_offer(state, node, &headers, body, "whep", webrtc::play).await
}

pub(super) async fn publish(state: State<Shared>, node: Path<String>, headers: HeaderMap, body: Body) -> Answer {
    answer_offer(state, node, &headers, body, "whip", |state, node, offer| webrtc::publish(state, node, offer)).await
}

/// Answers an offer for a node: the session's id and the SDP answer.
type OpenSession = fn(&Shared, &str, &str) -> Result<(String, String), ApiError>;

/// Reads the offer, has `open` answer it off the async threads, and answers 201 with the session's URL.
async fn answer_offer(
    State(state): State<Shared>,
    Path(node): Path<String>,
    headers: &HeaderMap,
    body: Body,
    protocol: &str,
    open: OpenSession,
) -> Answer {
    let offer = read_offer(headers, body).await?;
    let for_node = node.clone();
    let (id, answer) = blocking(move || open(&state, &for_node, &offer)).await??;
    Ok(created(protocol, &node, &id, answer))
}

async fn read_offer(headers: &HeaderMap, body: Body) -> Result<String, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with(SDP) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_sdp",
            format!("an offer is sent as Content-Type: {SDP} (got '{content_type}')"),
        ));
    }
    let bytes = read_body(body, OFFER_LIMIT).await?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_sdp", "the offer is not UTF-8 text"))
}

fn created(protocol: &str, node: &str, id: &str, answer: String) -> Response {
    (
        StatusCode::CREATED,
        [
            (header::CONTENT_TYPE, SDP.to_owned()),
            (header::LOCATION, format!("/v1/{protocol}/{node}/{id}")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        answer,
    )
        .into_response()
}

pub(super) async fn end_whep(state: State<Shared>, path: Path<(String, String)>) -> Answer {
    end(state, path, Way::Send).await
}

pub(super) async fn end_whip(state: State<Shared>, path: Path<(String, String)>) -> Answer {
    end(state, path, Way::Receive).await
}

async fn end(State(state): State<Shared>, Path((node, id)): Path<(String, String)>, way: Way) -> Answer {
    if blocking(move || state.sessions.end(&node, &id, way)).await? {
        Ok(StatusCode::OK.into_response())
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, "no_session", "no such session (ended, or never made)"))
    }
}

pub(super) async fn patch() -> Answer {
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "no_trickle",
        "this server puts every candidate in its answer (ICE lite): no trickle ICE or ICE restart by PATCH",
    ))
}

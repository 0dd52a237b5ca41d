//! The HTTP half of WHIP/WHEP as a client: POST the offer, read the answer and the session's URL, DELETE it
//! at the end.

use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A session a WHIP/WHEP server made for us.
pub struct Resource {
    /// The session's absolute URL (from `Location`), None when the server gave none.
    pub location: Option<String>,
    pub answer: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).http_status_as_error(false).build().into()
}

/// POSTs `offer` to `url`; a server that does not answer 201 with SDP is an error naming its status and words.
pub fn post_offer(url: &str, token: Option<&str>, offer: &str) -> Result<Resource, String> {
    let mut request = agent().post(url).header("Content-Type", "application/sdp");
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response = request.send(offer).map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(|l| absolute(url, l));
    let body = response.body_mut().read_to_string().unwrap_or_default();
    if status.as_u16() != 201 {
        let words: String = body.chars().take(300).collect();
        return Err(format!("{url} answered {status}: {words}"));
    }
    Ok(Resource { location, answer: body })
}

/// `location` as an absolute URL: relative ones are resolved against the endpoint's origin (or directory).
fn absolute(endpoint: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_owned();
    }
    let after_scheme = endpoint.find("://").map_or(0, |i| i + 3);
    if location.starts_with('/') {
        let origin_end = endpoint[after_scheme..].find('/').map_or(endpoint.len(), |i| after_scheme + i);
        format!("{}{location}", &endpoint[..origin_end])
    } else {
        let directory_end = endpoint.rfind('/').filter(|&i| i >= after_scheme).map_or(endpoint.len(), |i| i + 1);
        format!("{}{location}", &endpoint[..directory_end])
    }
}

/// DELETEs the session when dropped (best effort: a server that is gone has nothing to free).
pub struct EndOnDrop {
    pub resource: Option<String>,
    pub token: Option<String>,
}

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        let Some(url) = &self.resource else { return };
        let mut request = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .http_status_as_error(false)
            .build()
            .new_agent()
            .delete(url);
        if let Some(token) = &self.token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let _ = request.call();
    }
}

#[cfg(test)]
mod tests {
    use super::absolute;

    #[test]
    fn locations_resolve_against_the_endpoint() {
        let endpoint = "http://a.example:8080/v1/whep/fx";
        assert_eq!(absolute(endpoint, "/v1/whep/fx/123"), "http://a.example:8080/v1/whep/fx/123");
        assert_eq!(absolute(endpoint, "fx/123"), "http://a.example:8080/v1/whep/fx/123");
        assert_eq!(absolute(endpoint, "https://b.example/s/1"), "https://b.example/s/1");
        assert_eq!(absolute("http://h:1", "/s"), "http://h:1/s");
    }
}

//! One attempt: send the request and feed the answer, as it arrives, to
//! the [`Recorder`], which reports every step and assembles the
//! [`Exchange`].

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::api::types::Header;
use crate::exchange::{Exchange, ExchangeId, Source};

use super::recorder::{Head, Recorder, version_name};
use super::request::OutgoingRequest;
use super::timing::Probe;
use super::{EventSender, transport};

/// Who this attempt is and where its events go.
pub(crate) struct Attempt<'a> {
    pub client: &'a reqwest::Client,
    pub request: &'a OutgoingRequest,
    pub id: ExchangeId,
    pub number: u32,
    pub retry_of: Option<ExchangeId>,
    pub cancel: &'a CancellationToken,
    pub events: &'a EventSender,
}

impl Attempt<'_> {
    pub(crate) async fn run(&self) -> Exchange {
        let head = Head {
            id: self.id.clone(),
            started_at: Utc::now(),
            profile: self.request.profile.clone(),
            request: self.request.recorded(),
            attempt: self.number,
            retry_of: self.retry_of.clone(),
            source: Source::Claudetui,
            client: None,
        };
        let mut recorder = Recorder::begin(head, self.events.clone(), self.request.secrets());
        let probe = Probe::default();
        let sent = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => None,
            result = probe.scope(self.build().send()) => Some(result),
        };
        match sent {
            None => recorder.cancel(),
            Some(Err(error)) => {
                let (kind, text) = transport::classify(&error);
                recorder.failed(kind, text);
            }
            Some(Ok(response)) => self.receive(response, &mut recorder).await,
        }
        recorder.finish(probe.report())
    }

    fn build(&self) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(self.request.method.as_bytes())
            .unwrap_or(reqwest::Method::POST);
        let mut builder = self
            .client
            .request(method, &self.request.url)
            .timeout(self.request.timeout);
        for header in self.request.wire_headers() {
            builder = builder.header(header.name, header.value);
        }
        if !self.request.body.is_empty() {
            builder = builder.body(self.request.body.clone());
        }
        builder
    }

    async fn receive(&self, mut response: reqwest::Response, recorder: &mut Recorder) {
        let headers: Vec<Header> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                Header::new(name.as_str(), String::from_utf8_lossy(value.as_bytes()))
            })
            .collect();
        recorder.headers(
            response.status().as_u16(),
            version_name(response.version()),
            headers,
        );
        loop {
            let chunk = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    recorder.cancel();
                    break;
                }
                chunk = response.chunk() => chunk,
            };
            match chunk {
                Ok(Some(bytes)) => recorder.chunk(&bytes),
                Ok(None) => break,
                Err(error) => {
                    let (kind, text) = transport::classify(&error);
                    recorder.failed(kind, text);
                    break;
                }
            }
        }
    }
}

//! The embedded Anthropic-compatible server. (Being written.)

pub mod scenario;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use scenario::Scenario;

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("could not listen on {addr}: {source}. Pick another --port, or 0 for any free port")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct MockConfig {
    pub bind: IpAddr,
    pub port: u16,
    pub scenario: Scenario,
    /// Multiplies every scenario delay; 0 removes pacing (tests).
    pub speed: f64,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            scenario: Scenario::default(),
            speed: 1.0,
        }
    }
}

pub struct MockServer {
    addr: SocketAddr,
}

impl MockServer {
    pub async fn start(_config: MockConfig) -> Result<MockServer, MockError> {
        todo!()
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub async fn shutdown(self) {}
}
